import { encode } from "@msgpack/msgpack";
import { equalBytes } from "../../core/bytes.ts";
import type { SigningIdentity } from "../../core/crypto/mod.ts";
import { answerSignedBytes, type SignedAnswer } from "./_signed_answer.ts";
import type { BootstrapCertificate } from "./certificate.ts";

/**
 * What a bootstrap node signs its answers with: its Ed25519 identity, and the authority's certificate of that
 * identity's key when it has one. Joiners with a trust policy ask for signed answers by sending a nonce.
 */
export class AnswerSigner {
  readonly identity: SigningIdentity;
  readonly certificate: BootstrapCertificate | undefined;

  /** @throws {RangeError} when the certificate is for another key */
  constructor(identity: SigningIdentity, certificate?: BootstrapCertificate) {
    if (certificate !== undefined && !equalBytes(certificate.publicKey, identity.publicKey)) {
      throw new RangeError("Cannot sign bootstrap answers with this certificate: it certifies another key");
    }
    this.identity = identity;
    this.certificate = certificate;
  }

  /** The signed form of `answer` to a request of `method` that carried `nonce`. */
  sign(method: string, nonce: Uint8Array, answer: unknown): SignedAnswer {
    const body = encode(answer);
    const signed: SignedAnswer = {
      body,
      key: this.identity.publicKey,
      signature: this.identity.sign(answerSignedBytes(method, nonce, body)),
    };
    if (this.certificate !== undefined) signed.certificate = this.certificate.bytes;
    return signed;
  }
}

import assert from "node:assert/strict";
import { SigningIdentity } from "../../core/crypto/mod.ts";
import { AnswerSigner } from "./answer_signer.ts";
import { BootstrapTrust } from "./bootstrap_trust.ts";
import { certificateText, issueBootstrapCertificate, parseBootstrapCertificate } from "./certificate.ts";

const METHOD = "cqkd_bootstrap_join";
const answer = { status: "redirect", to: [] };
const bootstrap = SigningIdentity.generate();
const authority = SigningIdentity.generate();
const problemOf = (opened: ReturnType<BootstrapTrust["open"]>) => "problem" in opened ? opened.problem : "";

Deno.test("BootstrapTrust.open() accepts an answer signed for its nonce by a trusted key", () => {
  const trust = new BootstrapTrust({ trustedKeys: [bootstrap.publicKey] });
  const nonce = trust.nonce();
  assert.deepEqual(trust.open(METHOD, nonce, new AnswerSigner(bootstrap).sign(METHOD, nonce, answer)), {
    answer,
    key: bootstrap.publicKey,
  });
});

Deno.test("BootstrapTrust.open() refuses unsigned, untrusted, replayed and altered answers", () => {
  const trust = new BootstrapTrust({ trustedKeys: [bootstrap.publicKey] });
  const nonce = trust.nonce();
  const signed = new AnswerSigner(bootstrap).sign(METHOD, nonce, answer);
  assert.equal(problemOf(trust.open(METHOD, nonce, answer)), "the answer is not signed");
  assert.match(
    problemOf(trust.open(METHOD, nonce, new AnswerSigner(SigningIdentity.generate()).sign(METHOD, nonce, answer))),
    /^signed by key [0-9a-f]{16}…: not in the trust list$/,
  );
  const replayed = /^the answer's signature does not verify/;
  assert.match(problemOf(trust.open(METHOD, trust.nonce(), signed)), replayed, "another request's nonce");
  assert.match(problemOf(trust.open("cqkd_bootstrap_info", nonce, signed)), replayed, "another method");
  const body = signed.body.slice();
  body[body.length - 1]! ^= 1;
  assert.match(problemOf(trust.open(METHOD, nonce, { ...signed, body })), replayed, "altered");
});

Deno.test("BootstrapTrust.open() accepts a key certified by the authority until the certificate expires", () => {
  let ms = 1_000_000;
  const trust = new BootstrapTrust({ authorityKey: authority.publicKey, now: () => ms });
  const nonce = trust.nonce();
  const certificate = issueBootstrapCertificate(authority, bootstrap.publicKey, { validForS: 60, now: () => ms });
  const signed = new AnswerSigner(bootstrap, certificate).sign(METHOD, nonce, answer);
  assert.deepEqual(trust.open(METHOD, nonce, signed), { answer, key: bootstrap.publicKey });
  const { certificate: _, ...uncertified } = signed;
  assert.match(problemOf(trust.open(METHOD, nonce, uncertified)), /not in the trust list and without a certificate$/);
  const forged = issueBootstrapCertificate(SigningIdentity.generate(), bootstrap.publicKey);
  assert.match(
    problemOf(trust.open(METHOD, nonce, new AnswerSigner(bootstrap, forged).sign(METHOD, nonce, answer))),
    /its certificate is not signed by the authority key [0-9a-f]{16}…$/,
  );
  const other = SigningIdentity.generate();
  assert.match(
    problemOf(
      trust.open(METHOD, nonce, {
        ...new AnswerSigner(other).sign(METHOD, nonce, answer),
        certificate: signed.certificate,
      }),
    ),
    /its certificate is for another key$/,
  );
  ms += 60_000;
  assert.match(problemOf(trust.open(METHOD, nonce, signed)), /its certificate expired at 1970-01-01T00:17:40.000Z$/);
});

Deno.test("parseBootstrapCertificate() reads back the base64 text and refuses anything else", () => {
  const certificate = issueBootstrapCertificate(authority, bootstrap.publicKey, { name: "super-0", now: () => 0 });
  const text = certificateText(certificate);
  assert.deepEqual(parseBootstrapCertificate(text), certificate);
  assert.equal(certificate.expiresAtMs, 31_536_000_000);
  assert.throws(() => parseBootstrapCertificate("bm90IGEgY2VydA=="), {
    name: "TypeError",
    message: "Expected a bootstrap certificate (base64 of cqkd/bcert1)",
  });
});

Deno.test("new BootstrapTrust() and new AnswerSigner() refuse what cannot work", () => {
  assert.throws(() => new BootstrapTrust({}), RangeError);
  assert.throws(() => new BootstrapTrust({ trustedKeys: [new Uint8Array(31)] }), {
    message: "Cannot trust a public key of 31 bytes: expected 32 (Ed25519)",
  });
  const certificate = issueBootstrapCertificate(authority, SigningIdentity.generate().publicKey);
  assert.throws(() => new AnswerSigner(bootstrap, certificate), {
    message: "Cannot sign bootstrap answers with this certificate: it certifies another key",
  });
});

/**
 * The local public-key infrastructure of the key-delivery service: a CA, a server certificate per KME and, for each
 * SAE, a client certificate naming it (CN = SAE ID) and a bearer token. Generated with WebCrypto (ECDSA P-256) and
 * written under a state directory with mode 0600: no `openssl` needed.
 */
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API first.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { runtime } from "../../core/runtime/mod.ts";

x509.cryptoProvider.set(crypto);

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;

/** A certificate and its private key, both PEM. */
export interface PemPair {
  cert: string;
  key: string;
}

/** A CA able to issue certificates. */
export interface LocalCa extends PemPair {
  readonly issue: (request: IssueRequest) => Promise<PemPair>;
}

/** What {@linkcode LocalCa.issue} puts in a certificate. */
export interface IssueRequest {
  /** The subject's common name (a KME ID or an SAE ID). */
  commonName: string;
  /** "server" for a KME (with `hosts` as subject alternative names), "client" for an SAE. */
  usage: "server" | "client";
  /** DNS names and IP addresses the server answers on. @default {["localhost", "127.0.0.1", "::1"]} */
  hosts?: string[];
  /** Days of validity. @default {825} */
  days?: number;
}

/**
 * Creates a CA with a fresh key.
 *
 * @example
 * ```ts
 * import { createLocalCa } from "./pki.ts";
 * const ca = await createLocalCa("cqkd test CA");
 * const server = await ca.issue({ commonName: "kme-alice", usage: "server" });
 * console.assert(server.cert.startsWith("-----BEGIN CERTIFICATE-----"));
 * ```
 */
export async function createLocalCa(commonName: string, days = 3650): Promise<LocalCa> {
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(runtime.now() - DAY_MS),
    notAfter: new Date(runtime.now() + days * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const issue = async (request: IssueRequest): Promise<PemPair> => {
    const subject = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]) as CryptoKeyPair;
    const hosts = request.hosts ?? ["localhost", "127.0.0.1", "::1"];
    const issued = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${request.commonName}`,
      issuer: cert.subject,
      notBefore: new Date(runtime.now() - DAY_MS),
      notAfter: new Date(runtime.now() + (request.days ?? 825) * DAY_MS),
      signingKey: keys.privateKey,
      publicKey: subject.publicKey,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension(
          [request.usage === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth],
        ),
        ...(request.usage === "server" ? [new x509.SubjectAlternativeNameExtension(hosts.map(altName))] : []),
        await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return { cert: issued.toString("pem"), key: await privateKeyPem(subject.privateKey) };
  };
  return { cert: cert.toString("pem"), key: await privateKeyPem(keys.privateKey), issue };
}

/** The common name of a PEM certificate's subject. */
export function commonNameOf(certPem: string): string | undefined {
  const cert = new x509.X509Certificate(certPem);
  return cert.subjectName.getField("CN")[0];
}

/** A random bearer token (32 bytes, base64url). */
export function newToken(): string {
  const bytes = runtime.randomBytes(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Writes `text` to `path` readable by its owner only (0600), created or truncated. */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text, { mode: 0o600 });
  await Deno.chmod(path, 0o600);
}

function altName(host: string): x509.JsonGeneralName {
  return /^[0-9.]+$|:/.test(host) ? { type: "ip", value: host } : { type: "dns", value: host };
}

function serial(): string {
  const bytes = runtime.randomBytes(new Uint8Array(16));
  bytes[0]! &= 0x7f;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", key));
  const base64 = btoa(String.fromCharCode(...der)).match(/.{1,64}/g)!.join("\n");
  return `-----BEGIN PRIVATE KEY-----\n${base64}\n-----END PRIVATE KEY-----\n`;
}

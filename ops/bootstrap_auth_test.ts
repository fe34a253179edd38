import assert from "node:assert/strict";
import { toHex } from "../core/bytes.ts";
import { loadSettings } from "../core/config/mod.ts";
import { SigningIdentity } from "../core/crypto/mod.ts";
import { AnswerSigner, certificateText, issueBootstrapCertificate } from "../roles/mod.ts";
import { answerSignerFrom, bootstrapTrustFrom, identityPath } from "./bootstrap_auth.ts";
import { CommandError } from "./exit_codes.ts";

Deno.test("bootstrapTrustFrom() builds the joiner's policy from the settings, none when unset", async () => {
  const defaults = await loadSettings({ env: {} });
  assert.equal(bootstrapTrustFrom(defaults), undefined);
  const bootstrap = SigningIdentity.generate();
  const authority = SigningIdentity.generate();
  const trust = bootstrapTrustFrom(
    await loadSettings({ env: { TRUSTED_BOOTSTRAP_KEYS: toHex(bootstrap.publicKey) } }),
  )!;
  const nonce = trust.nonce();
  assert.ok("answer" in trust.open("m", nonce, new AnswerSigner(bootstrap).sign("m", nonce, 1)));
  const byAuthority = bootstrapTrustFrom(
    await loadSettings({ env: { BOOTSTRAP_AUTHORITY_KEY: toHex(authority.publicKey) } }),
  )!;
  const certified = new AnswerSigner(bootstrap, issueBootstrapCertificate(authority, bootstrap.publicKey));
  assert.ok("answer" in byAuthority.open("m", nonce, certified.sign("m", nonce, 1)));
  assert.throws(
    () => bootstrapTrustFrom({ ...defaults, trusted_bootstrap_keys: ["00ff"] }),
    (error) =>
      error instanceof CommandError &&
      error.message === 'Invalid trusted_bootstrap_keys "00ff": expected 64 hex digits (an Ed25519 public key)',
  );
});

Deno.test("answerSignerFrom() keeps a bootstrap node's identity in its state directory, with its certificate", async () => {
  const stateDir = await Deno.makeTempDir();
  try {
    const settings = await loadSettings({ env: {}, flags: { state_dir: stateDir, node_name: "super-0" } });
    const first = await answerSignerFrom(settings, "super-bootstrap");
    assert.equal(identityPath(settings, "super-bootstrap"), `${stateDir}/identity/super-0.key`);
    assert.equal((await Deno.stat(`${stateDir}/identity/super-0.key`)).mode! & 0o777, 0o600);
    const again = await answerSignerFrom(settings, "super-bootstrap");
    assert.deepEqual(again.identity.publicKey, first.identity.publicKey, "the same key across restarts");
    const authority = SigningIdentity.generate();
    const certificate = certificateText(issueBootstrapCertificate(authority, first.identity.publicKey));
    const certified = await answerSignerFrom({ ...settings, bootstrap_certificate: certificate }, "super-bootstrap");
    assert.deepEqual(certified.certificate?.publicKey, first.identity.publicKey);
    await assert.rejects(
      answerSignerFrom({ ...settings, bootstrap_certificate: "garbage" }, "super-bootstrap"),
      CommandError,
    );
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

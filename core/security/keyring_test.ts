import assert from "node:assert/strict";
import { ClusterKeyring, keyIdOf, KeyringError } from "./keyring.ts";

Deno.test("ClusterKeyring.generate() holds one 32-byte key whose id derives from its secret", () => {
  const keyring = ClusterKeyring.generate();
  assert.equal(keyring.keys.length, 1);
  assert.equal(keyring.primary.secret.length, 32);
  assert.match(keyring.primary.id, /^[0-9a-f]{8}$/);
  assert.equal(keyring.primary.id, keyIdOf(keyring.primary.secret));
  assert.equal(keyring.primaryWireId, Number.parseInt(keyring.primary.id, 16));
});

Deno.test("ClusterKeyring.withNewPrimary() keeps the old keys for opening", () => {
  const old = ClusterKeyring.generate();
  const rotated = old.withNewPrimary();
  assert.notEqual(rotated.primary.id, old.primary.id);
  assert.deepEqual(rotated.keys.map((k) => k.id), [rotated.primary.id, old.primary.id]);
  assert.equal(rotated.secretOf(old.primaryWireId), old.primary.secret);
  assert.equal(rotated.withPrimary(old.primary.id).primary.id, old.primary.id);
});

Deno.test("ClusterKeyring.without() retires a key but never the primary", () => {
  const rotated = ClusterKeyring.generate().withNewPrimary();
  const retired = rotated.keys[1]!.id;
  assert.equal(rotated.without(retired).find(retired), undefined);
  assert.throws(() => rotated.without(rotated.primary.id), {
    name: "KeyringError",
    message: `Cannot retire key ${rotated.primary.id}: it is the primary key`,
  });
});

Deno.test("new ClusterKeyring() refuses empty rings, short secrets and ids that do not match", () => {
  assert.throws(() => new ClusterKeyring([]), KeyringError);
  assert.throws(() => new ClusterKeyring([{ id: "00000000", secret: new Uint8Array(16) }]), /16 bytes, expected 32/);
  const secret = new Uint8Array(32);
  assert.throws(() => new ClusterKeyring([{ id: "00000000", secret }]), /does not match its secret/);
  assert.throws(() => new ClusterKeyring([{ id: keyIdOf(secret), secret }], "12345678"), /not in the keyring/);
});

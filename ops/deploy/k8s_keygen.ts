/** What Alice's and Bob's pods add for their trust: the identity key mounted from a Secret, and the trust settings. */
import { identityFile, keygenSecretName, type KeygenTrust } from "./keygen_trust.ts";
import { KEYGEN_ROLES, type KeygenRole } from "../../roles/keygen/role_certificate.ts";
import type { DeployedNode } from "./topology.ts";

/** The key-exchange side a node is (its role certificate and identity key), if any. */
export function keygenSide(node: DeployedNode): KeygenRole | undefined {
  return (KEYGEN_ROLES as readonly string[]).includes(node.role) ? node.role as KeygenRole : undefined;
}

/** Keys of a side's Secret (besides its identity key, `<role>.key`). */
const AUTHORITY_ENTRY = "keygen-authority-key";
const CERTIFICATE_ENTRY = "role-certificate";

/** A side's trust settings, from its Secret (`KEYGEN_AUTHORITY_KEY`, `ROLE_CERTIFICATE`). */
export function keygenEnv(role: KeygenRole) {
  return [
    {
      name: "KEYGEN_AUTHORITY_KEY",
      valueFrom: { secretKeyRef: { name: keygenSecretName(role), key: AUTHORITY_ENTRY } },
    },
    { name: "ROLE_CERTIFICATE", valueFrom: { secretKeyRef: { name: keygenSecretName(role), key: CERTIFICATE_ENTRY } } },
  ];
}

/**
 * A side's identity key from its Secret, mounted read-only where the node reads it: mode 0440 (288), group 10001
 * (the pod's fsGroup), so that the node's user reads it and no one else in the pod could.
 */
export function identityVolume(role: KeygenRole) {
  const file = identityFile(role);
  return {
    name: "identity",
    secret: { secretName: keygenSecretName(role), defaultMode: 0o440, items: [{ key: file, path: file }] },
  };
}

/**
 * The entries of a side's Secret: its identity key, the authority's key and its role certificate.
 * @throws {Error} when the side's identity key could not be read
 */
export function keygenSecretData(role: KeygenRole, trust: KeygenTrust): Record<string, string> {
  const { identityPem, certificate } = trust.sides[role];
  if (identityPem === undefined) throw new Error(`Cannot write the Secret of ${role}: its identity key is unreadable`);
  return { [identityFile(role)]: identityPem, [AUTHORITY_ENTRY]: trust.authorityKey, [CERTIFICATE_ENTRY]: certificate };
}

/** Two KMEs over real HTTPS with mutual TLS, SAEs with certificates, and stores fed the same keys. */
import { KeyStore } from "../keystore/mod.ts";
import { createLocalCa, type PemPair } from "./pki.ts";
import { EtsiClient } from "./etsi_client.ts";
import type { KmeEvent } from "./kme_app.ts";
import { KmeServer } from "./kme_server.ts";

/** Puts `count` keys of `bits` bits, the same ids and bytes, into every store; returns the ids. */
export function feedSameKeys(stores: KeyStore[], count: number, bits = 256): string[] {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(bits / 8)));
    for (const store of stores) {
      store.put({ id, sessionId: "test", bytes: bytes.slice(), bitLength: bits, storedAt: Date.now() });
    }
    ids.push(id);
  }
  return ids;
}

/** Alice's KME (sae-alice, master of sae-bob) and Bob's (sae-bob, slave; sae-carol, master of sae-dave). */
export async function startTwoKmes() {
  const ca = await createLocalCa("cqkd test CA");
  const aliceStore = new KeyStore({ maxBits: 256 * 1000 });
  const bobStore = new KeyStore({ maxBits: 256 * 1000 });
  const carolStore = new KeyStore();
  const events: KmeEvent[] = [];
  const alice = await KmeServer.start({
    id: "kme-alice",
    ...await ca.issue({ commonName: "kme-alice", usage: "server" }),
    ca: ca.cert,
    links: [{ localSae: "sae-alice", peerSae: "sae-bob", peerKme: "kme-bob", localRole: "master", store: aliceStore }],
    onEvent: (event) => events.push(event),
  });
  const bob = await KmeServer.start({
    id: "kme-bob",
    ...await ca.issue({ commonName: "kme-bob", usage: "server" }),
    ca: ca.cert,
    links: [
      { localSae: "sae-bob", peerSae: "sae-alice", peerKme: "kme-alice", localRole: "slave", store: bobStore },
      { localSae: "sae-carol", peerSae: "sae-dave", peerKme: "kme-alice", localRole: "master", store: carolStore },
    ],
    onEvent: (event) => events.push(event),
  });
  const certs = new Map<string, PemPair>();
  for (const sae of ["sae-alice", "sae-bob", "sae-carol", "sae-mallory"]) {
    certs.set(sae, await ca.issue({ commonName: sae, usage: "client" }));
  }
  const client = (sae: string, kme: KmeServer) => new EtsiClient({ url: kme.url, ca: ca.cert, ...certs.get(sae)! });
  return {
    ca,
    alice,
    bob,
    aliceStore,
    bobStore,
    carolStore,
    events,
    client,
    async [Symbol.asyncDispose]() {
      await alice[Symbol.asyncDispose]();
      await bob[Symbol.asyncDispose]();
    },
  };
}

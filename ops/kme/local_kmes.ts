/**
 * The two KMEs of a local cluster: their PKI under `<state_dir>/kme/` (a CA, a server certificate per KME and a
 * client certificate per demo SAE, every file mode 0600), the URL each running KME records there, and
 * {@linkcode startLocalKme}, which Alice's or Bob's node calls with its key store.
 */
import { join, resolve } from "node:path";
import type { KeyStore } from "../../roles/keystore/mod.ts";
import { createLocalCa, type KmeEvent, KmeServer, type PemPair, writePrivateFile } from "../../roles/kme/mod.ts";

/** Alice's and Bob's KME and SAE: `sae-alice` is the master SAE on Alice's KME, `sae-bob` the slave on Bob's. */
export const LOCAL_KMES = {
  alice: { kme: "kme-alice", sae: "sae-alice", role: "master" },
  bob: { kme: "kme-bob", sae: "sae-bob", role: "slave" },
} as const;
export type KmeSide = keyof typeof LOCAL_KMES;

/** What `cqkd kme info --json` prints: the KMEs (URL once running, CA file) and the SAEs (master first). */
export interface KmeInfo {
  kmes: Array<{ id: string; url: string | null; ca: string }>;
  saes: Array<{ id: string; kme: string; cert: string; key: string }>;
}

/** The folder of the KMEs' files. */
export function kmeDir(stateDir: string): string {
  return resolve(stateDir, "kme");
}

const CERT_NAMES = ["ca", "kme-alice", "kme-bob", "sae-alice", "sae-bob"] as const;

/** Creates the CA and the certificates once; later calls keep them. */
export async function ensureKmePki(stateDir: string): Promise<void> {
  const dir = kmeDir(stateDir);
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const present = await Promise.all(CERT_NAMES.map((name) => exists(join(dir, `${name}.key`))));
  if (present.every(Boolean)) return;
  const ca = await createLocalCa("cqkd local KME CA");
  const pairs: Record<string, PemPair> = { ca };
  for (const side of Object.values(LOCAL_KMES)) {
    pairs[side.kme] = await ca.issue({ commonName: side.kme, usage: "server" });
    pairs[side.sae] = await ca.issue({ commonName: side.sae, usage: "client" });
  }
  for (const [name, pair] of Object.entries(pairs)) {
    await writePrivateFile(join(dir, `${name}.pem`), pair.cert);
    await writePrivateFile(join(dir, `${name}.key`), pair.key);
  }
}

/** Options of {@linkcode startLocalKme}. */
export interface LocalKmeOptions {
  /** @default {"127.0.0.1"} */
  hostname?: string;
  /** @default {0} (any free port) */
  port?: number;
  /** Key size of the SAE pair, in bits. @default {256} */
  keySize?: number;
  onEvent?: (event: KmeEvent) => void;
}

/** A running local KME; disposing it stops it and removes its recorded URL. */
export interface LocalKme extends AsyncDisposable {
  readonly url: string;
}

/**
 * Starts Alice's or Bob's KME over `store` (the node's key store) and records its URL for `cqkd kme info`.
 */
export async function startLocalKme(
  stateDir: string,
  side: KmeSide,
  store: KeyStore,
  options: LocalKmeOptions = {},
): Promise<LocalKme> {
  await ensureKmePki(stateDir);
  const dir = kmeDir(stateDir);
  const read = (name: string) => Deno.readTextFile(join(dir, name));
  const local = LOCAL_KMES[side];
  const peer = LOCAL_KMES[side === "alice" ? "bob" : "alice"];
  const server = await KmeServer.start({
    id: local.kme,
    cert: await read(`${local.kme}.pem`),
    key: await read(`${local.kme}.key`),
    ca: await read("ca.pem"),
    hostname: options.hostname,
    port: options.port,
    links: [{
      localSae: local.sae,
      peerSae: peer.sae,
      peerKme: peer.kme,
      localRole: local.role,
      store,
      keySize: options.keySize,
    }],
    onEvent: options.onEvent,
  });
  const urlFile = join(dir, `${local.kme}.url`);
  await writePrivateFile(urlFile, server.url);
  return {
    url: server.url,
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      await Deno.remove(urlFile).catch(() => {});
    },
  };
}

/** The KMEs and SAEs of the local cluster, from the state directory. */
export async function readKmeInfo(stateDir: string): Promise<KmeInfo> {
  const dir = kmeDir(stateDir);
  const sides = [LOCAL_KMES.alice, LOCAL_KMES.bob];
  const kmes = await Promise.all(sides.map(async ({ kme }) => ({
    id: kme,
    url: await Deno.readTextFile(join(dir, `${kme}.url`)).catch(() => null),
    ca: join(dir, "ca.pem"),
  })));
  const saes = sides.map(({ sae, kme }) => ({
    id: sae,
    kme,
    cert: join(dir, `${sae}.pem`),
    key: join(dir, `${sae}.key`),
  }));
  return { kmes, saes };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

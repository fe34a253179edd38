import { ALICE_BOB_HOST, BOOTSTRAP_HOST } from "../cluster/plan.ts";

/** The hosts that serve the console first: the bootstrap tiers' host, then Alice and Bob's, then the others. */
const PREFERRED = [BOOTSTRAP_HOST, ALICE_BOB_HOST];

/**
 * The console's address for a local cluster: the admin API of the first host process that runs, the bootstrap
 * host first (every host process serves the same console). `undefined` when none runs.
 */
export function consoleUrl(
  hosts: ReadonlyArray<{ name: string; controlPort: number }>,
  runs: (name: string) => boolean = () => true,
): string | undefined {
  const rank = (name: string) => {
    const i = PREFERRED.indexOf(name);
    return i === -1 ? PREFERRED.length : i;
  };
  const host = [...hosts].sort((a, b) => rank(a.name) - rank(b.name)).find((h) => runs(h.name));
  return host && `http://127.0.0.1:${host.controlPort}/console`;
}

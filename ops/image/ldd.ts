/** The shared libraries a binary links, as `ldd` lists them: what an image from scratch must carry beside it. */
import { run } from "./engine.ts";

/** Shared libraries an `ldd` listing names, as absolute paths (the kernel's vdso has none). */
export function parseLdd(listing: string): string[] {
  const paths = new Set<string>();
  for (const line of listing.split("\n")) {
    if (/not found/.test(line)) throw new Error(`A library is missing: ${line.trim()}`);
    const path = line.match(/(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/)?.[1];
    if (path) paths.add(path);
  }
  return [...paths];
}

/** The libraries `binary` links (absolute paths). */
export async function linkedLibraries(binary: string): Promise<string[]> {
  return parseLdd((await run("ldd", [binary])).stdout);
}

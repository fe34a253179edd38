/**
 * The runtime import graph of the repository's TypeScript modules, and its cycles. Type-only imports
 * (`import type`, or every name marked `type`) vanish at run time, so they are left out; dynamic `import()` is lazy
 * and left out too. Used by `import_cycles_test.ts`.
 *
 * @module
 */

/** A module path relative to the repository root, and the relative paths it imports at run time. */
export type ImportGraph = Map<string, string[]>;

const STATIC_IMPORT =
  /^\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*["']([^"']+)["']|^\s*import\s+["']([^"']+)["']/gm;

/** The specifiers `source` imports at run time (relative ones only: packages cannot import us back). */
export function runtimeImports(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(STATIC_IMPORT)) {
    const [, , typeKeyword, clause = "", from, bare] = match;
    const specifier = from ?? bare!;
    if (!specifier.startsWith(".")) continue;
    if (typeKeyword || isTypeOnlyClause(clause)) continue;
    found.push(specifier);
  }
  return found;
}

/** `{ type A, type B }` imports nothing at run time; `{ type A, B }`, `* as m` or a default import do. */
function isTypeOnlyClause(clause: string): boolean {
  const braces = clause.match(/^\{([\s\S]*)\}$/);
  if (!braces) return false;
  const names = braces[1]!.split(",").map((name) => name.trim()).filter(Boolean);
  return names.length > 0 && names.every((name) => name.startsWith("type "));
}

/** Resolves `specifier` against the directory of `from` (both relative to the root), e.g. `ops/a.ts` + `../b.ts`. */
export function resolveRelative(from: string, specifier: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

/** The graph of `files` (path → source text), with edges to files of the set only. */
export function importGraph(files: Map<string, string>): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const [path, source] of files) {
    const targets = runtimeImports(source).map((specifier) => resolveRelative(path, specifier));
    graph.set(path, [...new Set(targets.filter((target) => files.has(target)))]);
  }
  return graph;
}

/** The strongly connected components of more than one module, or of one that imports itself (Tarjan). */
export function importCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node)!.includes(node)) cycles.push(component.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles;
}

/** Every `.ts` file under `root`'s given folders (and the given top-level files), by path relative to `root`. */
export async function readSources(root: URL, entries: readonly string[]): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (path: string) => {
    const info = await Deno.stat(new URL(path, root));
    if (info.isFile) {
      if (path.endsWith(".ts")) files.set(path, await Deno.readTextFile(new URL(path, root)));
      return;
    }
    for await (const entry of Deno.readDir(new URL(path, root))) await walk(`${path}/${entry.name}`);
  };
  for (const entry of entries) await walk(entry);
  return files;
}

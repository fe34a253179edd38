import assert from "node:assert/strict";
import { importCycles, importGraph, readSources, runtimeImports } from "./_import_graph.ts";

Deno.test("No runtime import cycle among the repository's modules", async () => {
  const files = await readSources(new URL("../", import.meta.url), [
    "main.ts",
    "core",
    "roles",
    "ops",
    "bench",
    "tests",
  ]);
  assert.ok(files.size > 100, `read only ${files.size} modules`);
  const cycles = importCycles(importGraph(files));
  assert.deepEqual(cycles, [], `runtime import cycles:\n${cycles.map((cycle) => cycle.join(" ↔ ")).join("\n")}`);
});

Deno.test("runtimeImports() keeps value imports and re-exports, and drops type-only and package imports", () => {
  const source = [
    'import { a } from "./a.ts";',
    'import type { B } from "./b.ts";',
    'import { type C, type D } from "./c.ts";',
    'import { type E, f } from "./e.ts";',
    'import * as g from "../g.ts";',
    'export * from "./h.ts";',
    'export type { I } from "./i.ts";',
    'import "./side_effect.ts";',
    'import { Hono } from "hono";',
    "import {\n  j,\n  type K,\n} from './j.ts';",
  ].join("\n");
  assert.deepEqual(runtimeImports(source), ["./a.ts", "./e.ts", "../g.ts", "./h.ts", "./side_effect.ts", "./j.ts"]);
});

Deno.test("importCycles() finds a cycle through three modules and ignores one closed only by a type import", () => {
  const files = new Map([
    ["ops/a.ts", 'import { b } from "./b.ts";'],
    ["ops/b.ts", 'import { c } from "../core/c.ts";'],
    ["core/c.ts", 'import { a } from "../ops/a.ts";'],
    ["core/d.ts", 'import { e } from "./e.ts";'],
    ["core/e.ts", 'import type { D } from "./d.ts";'],
  ]);
  assert.deepEqual(importCycles(importGraph(files)), [["core/c.ts", "ops/a.ts", "ops/b.ts"]]);
});

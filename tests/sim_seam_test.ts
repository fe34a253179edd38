import assert from "node:assert/strict";
import { installRuntime, isRealRuntime, realRuntime, runtime } from "../core/runtime/mod.ts";

/** Globals that node logic must reach only through core/runtime (so that the simulator can replace them). */
const FORBIDDEN: readonly [RegExp, string][] = [
  [/(?<![.\w])Date\.now\b/, "Date.now"],
  [/(?<![.\w])performance\.now\b/, "performance.now"],
  [/(?<![.\w])(globalThis\.)?setTimeout\s*\(/, "setTimeout"],
  [/(?<![.\w])(globalThis\.)?setInterval\s*\(/, "setInterval"],
  [/(?<![.\w])crypto\.getRandomValues\b/, "crypto.getRandomValues"],
  [/(?<![.\w])crypto\.randomUUID\b/, "crypto.randomUUID"],
  [/(?<![.\w])Math\.random\b/, "Math.random"],
  [/(?<![.\w])Deno\.listenDatagram\b/, "Deno.listenDatagram"],
  [/(?<![.\w])AbortSignal\.timeout\b/, "AbortSignal.timeout"],
];

/** Node logic: the non-test sources of core/ and roles/, the runtime module itself excepted. */
async function* nodeLogicFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory && path !== "core/runtime") yield* nodeLogicFiles(path);
    if (entry.isFile && path.endsWith(".ts") && !/(_test(_util)?\.ts|\/_test_[^/]*\.ts)$/.test(path)) yield path;
  }
}

/** The code of a line, without a line comment or a JSDoc/block comment line. */
function codeOf(line: string): string {
  const trimmed = line.trimStart();
  if (trimmed.startsWith("*") || trimmed.startsWith("//") || trimmed.startsWith("/*")) return "";
  return line.replace(/\s\/\/.*$/, "");
}

/** Every forbidden global used in node logic, as "path:line: name". */
export async function seamViolations(): Promise<string[]> {
  const found: string[] = [];
  const root = new URL("..", import.meta.url).pathname;
  const cwd = Deno.cwd();
  Deno.chdir(root);
  try {
    for (const top of ["core", "roles"]) {
      for await (const path of nodeLogicFiles(top)) {
        const lines = (await Deno.readTextFile(path)).split("\n");
        lines.forEach((line, i) => {
          for (const [pattern, name] of FORBIDDEN) {
            if (pattern.test(codeOf(line))) found.push(`${path}:${i + 1}: ${name}`);
          }
        });
      }
    }
  } finally {
    Deno.chdir(cwd);
  }
  return found;
}

Deno.test("node logic in core/ and roles/ uses time, timers, randomness and sockets only through core/runtime", async () => {
  assert.deepEqual(await seamViolations(), []);
});

Deno.test("the seam check finds a direct use of a global and ignores comments", () => {
  assert.equal(codeOf("  const t = Date.now();").includes("Date.now"), true);
  assert.equal(codeOf("  /** @default {Date.now} */"), "");
  assert.equal(codeOf("  // setTimeout( in a comment"), "");
  assert.ok(FORBIDDEN.some(([p]) => p.test("x = setTimeout(f, 1)")));
  assert.ok(!FORBIDDEN.some(([p]) => p.test("x = runtime.setTimeout(f, 1)")));
  assert.ok(!FORBIDDEN.some(([p]) => p.test("let t: ReturnType<typeof setTimeout>;")));
});

Deno.test("an installed runtime is what node logic sees until it is restored", () => {
  let calls = 0;
  const fake = { ...realRuntime, now: () => 42, random: () => (calls++, 0.5) };
  {
    using _installed = installRuntime(fake);
    assert.equal(runtime.now(), 42);
    assert.equal(runtime.random(), 0.5);
    assert.equal(isRealRuntime(), false);
  }
  assert.equal(calls, 1);
  assert.ok(isRealRuntime());
  assert.ok(Math.abs(runtime.now() - Date.now()) < 1000);
});

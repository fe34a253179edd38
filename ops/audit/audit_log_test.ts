import assert from "node:assert/strict";
import { join } from "node:path";
import { AuditLog } from "./audit_log.ts";

Deno.test("AuditLog.append() writes one JSON line per entry, mode 0600, in a directory it creates", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "sub", "audit.jsonl");
    const log = new AuditLog(path);
    assert.ok(
      log.append({ who: "ops", client: "10.0.0.1", method: "PUT", path: "/dht/k", status: 200, ok: true, ms: 3 }),
    );
    assert.ok(log.append({ who: "cli:root", client: "local", procedure: "startup", ok: false, error: "no", ms: 9 }));
    const lines = (await Deno.readTextFile(path)).split("\n");
    assert.equal(lines.length, 3);
    assert.equal(lines[2], "");
    const first = JSON.parse(lines[0]!);
    assert.equal(first.pid, Deno.pid);
    assert.ok(!Number.isNaN(Date.parse(first.time)));
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual(AuditLog.read(path, { tail: 1 }).entries.map((e) => e.procedure), ["startup"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("AuditLog.append() reports a file it cannot write instead of throwing", () => {
  const errors: string[] = [];
  const log = new AuditLog("/proc/cqkd-no-such-dir/audit.jsonl", { onError: (e) => errors.push(e.message) });
  assert.equal(log.append({ who: "x", client: "local", ok: true, ms: 0 }), false);
  assert.match(errors[0]!, /^Cannot write the audit log \/proc\/cqkd-no-such-dir\/audit\.jsonl: /);
});

Deno.test("AuditLog keeps every line whole when several processes append at once", async () => {
  const path = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    const writer = `import { AuditLog } from ${JSON.stringify(new URL("./audit_log.ts", import.meta.url).href)};
      const log = new AuditLog(Deno.args[0]);
      for (let i = 0; i < 200; i++) log.append({ who: "w" + Deno.args[1], client: "local", procedure: "x".repeat(300), ok: true, ms: i });`;
    const children = [0, 1, 2, 3].map((n) =>
      new Deno.Command(Deno.execPath(), { args: ["eval", writer, path, String(n)], stdout: "null" }).output()
    );
    for (const { code } of await Promise.all(children)) assert.equal(code, 0);
    const { entries, skipped } = AuditLog.read(path);
    assert.equal(skipped, 0);
    assert.equal(entries.length, 800);
    for (const n of [0, 1, 2, 3]) assert.equal(entries.filter((e) => e.who === `w${n}`).length, 200);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("AuditLog.read() reads a missing file as empty and skips lines that are not entries", async () => {
  assert.deepEqual(AuditLog.read("/nonexistent/audit.jsonl"), { entries: [], skipped: 0 });
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(path, '{"time":"2026-01-01T00:00:00Z","ok":true}\n{torn\n[1]\n');
    const { entries, skipped } = AuditLog.read(path);
    assert.equal(entries.length, 1);
    assert.equal(skipped, 2);
  } finally {
    await Deno.remove(path);
  }
});

import assert from "node:assert/strict";
import { formatPeer, parsePeer } from "./peer.ts";

function assertRefused(text: string): void {
  assert.throws(() => parsePeer(text), (error) => {
    assert.ok(error instanceof SyntaxError);
    assert.equal(error.message, `Cannot parse address "${text}": expected host:port with a port from 1 to 65535`);
    return true;
  });
}

Deno.test("parsePeer() reads host:port", async (t) => {
  await t.step("IPv4", () => assert.deepEqual(parsePeer("127.0.0.1:5678"), { host: "127.0.0.1", port: 5678 }));
  await t.step(
    "host name",
    () => assert.deepEqual(parsePeer("boot-1.example:7000"), { host: "boot-1.example", port: 7000 }),
  );
  await t.step(
    "surrounding blanks",
    () => assert.deepEqual(parsePeer("  localhost:1 \n"), { host: "localhost", port: 1 }),
  );
  await t.step("port bounds", () => {
    assert.equal(parsePeer("h:1").port, 1);
    assert.equal(parsePeer("h:65535").port, 65535);
    assert.equal(parsePeer("h:00080").port, 80);
  });
});

Deno.test("parsePeer() reads IPv6 hosts in brackets", async (t) => {
  await t.step("loopback", () => assert.deepEqual(parsePeer("[::1]:5678"), { host: "::1", port: 5678 }));
  await t.step("full address", () => {
    assert.deepEqual(parsePeer("[2001:db8::a:1]:6000"), { host: "2001:db8::a:1", port: 6000 });
  });
  await t.step("IPv4-mapped", () => {
    assert.deepEqual(parsePeer("[::ffff:10.0.0.1]:7000"), { host: "::ffff:10.0.0.1", port: 7000 });
  });
});

Deno.test("parsePeer() refuses bad addresses with a SyntaxError naming them", async (t) => {
  const bad = [
    "",
    "localhost",
    "localhost:",
    ":5678",
    "host:0",
    "host:65536",
    "host:99999",
    "host:123456",
    "host:-1",
    "host:80a",
    "host:abc",
    "a b:80",
    "::1:5678",
    "[::1]",
    "[::1]5678",
    "[ghij::1]:5678",
    "[]:5678",
    "host:80:90",
  ];
  for (const text of bad) await t.step(JSON.stringify(text), () => assertRefused(text));
});

Deno.test("formatPeer() writes host:port and brackets IPv6 hosts", async (t) => {
  await t.step("IPv4", () => assert.equal(formatPeer({ host: "10.0.0.1", port: 7000 }), "10.0.0.1:7000"));
  await t.step("name", () => assert.equal(formatPeer({ host: "localhost", port: 1 }), "localhost:1"));
  await t.step("IPv6", () => assert.equal(formatPeer({ host: "::1", port: 5678 }), "[::1]:5678"));
  await t.step("round trip", () => {
    for (const text of ["127.0.0.1:5678", "[::1]:1", "[2001:db8::1]:65535", "node-7:7007"]) {
      assert.equal(formatPeer(parsePeer(text)), text);
    }
  });
});

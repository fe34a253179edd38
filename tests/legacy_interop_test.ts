/**
 * Interop between cqkd nodes and a legacy-style Python peer (tests/legacy_peer.py) that frames its datagrams as
 * rpcudp does and serializes them with umsgpack, the legacy nodes' own msgpack library.
 *
 * The peer runs under /usr/bin/python3 with Debian's python3-u-msgpack; without it every test here is reported
 * as ignored, with the reason in its name.
 */
import assert from "node:assert/strict";
import { waitFor } from "./_wait_for.ts";
import { type DhtValue, KademliaNode, type KademliaNodeOptions, NodeId } from "../core/kademlia/mod.ts";
import { formatPeer, type Peer } from "../core/net/peer.ts";
import { RpcTimeoutError } from "../core/net/rpc_errors.ts";
import { FrameTooLargeError } from "../core/net/wire.ts";
import { LegacyPeer, legacyTest, LOCALHOST } from "./_legacy_peer.ts";

/** A DHT value as the peer's JSON carries it: bytes as {bytes: hex}, floats as {float: x}. */
type JsonValue = string | number | boolean | { bytes: string } | { float: number } | { int: string };

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function unhex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** The JSON form of a DHT value in the peer's commands and answers. */
function jsonValue(value: DhtValue): JsonValue {
  if (value instanceof Uint8Array) return { bytes: hex(value) };
  if (typeof value === "number" && !Number.isInteger(value)) return { float: value };
  if (typeof value === "bigint") return { int: value.toString() };
  return value;
}

/** Starts cqkd nodes and legacy peers for one test, and stops them all at the end, whatever happens. */
async function withNetwork(
  fn: (net: {
    node(options?: KademliaNodeOptions): KademliaNode;
    peer(options?: { id?: string; ksize?: number; bootstrap?: Peer[] }): Promise<LegacyPeer>;
  }) => Promise<void>,
): Promise<void> {
  const nodes: KademliaNode[] = [];
  const peers: LegacyPeer[] = [];
  let cleanupFailure: PromiseRejectedResult | undefined;
  try {
    await fn({
      node(options = {}) {
        const node = KademliaNode.start({ host: LOCALHOST, rpcTimeoutMs: 2000, ...options });
        nodes.push(node);
        return node;
      },
      async peer(options = {}) {
        const args = [];
        if (options.id) args.push("--id", options.id);
        if (options.ksize) args.push("--ksize", String(options.ksize));
        for (const b of options.bootstrap ?? []) args.push("--bootstrap", formatPeer(b));
        const peer = new LegacyPeer(args);
        peers.push(peer);
        await peer.ready();
        return peer;
      },
    });
  } finally {
    const results = await Promise.allSettled([...peers.map((p) => p.close()), ...nodes.map((n) => n.stop())]);
    cleanupFailure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  }
  // Reached only when the test itself passed: then a failed clean-up fails it.
  if (cleanupFailure) throw cleanupFailure.reason;
}

/** Starts `count` cqkd nodes bootstrapped together through the first. */
async function cqkdNetwork(
  start: (options?: KademliaNodeOptions) => KademliaNode,
  count: number,
  options: KademliaNodeOptions = {},
): Promise<KademliaNode[]> {
  const nodes = Array.from({ length: count }, () => start(options));
  for (const node of nodes.slice(1)) await node.bootstrap([nodes[0]!.address]);
  return nodes;
}

/** Checks a contact list as the peer reports a find_node answer: [{bytes: id}, ip, port] triples. */
function assertContactTriples(contacts: unknown, allowed: Map<string, number>, requester: string): void {
  assert.ok(Array.isArray(contacts), `expected a list of contacts, got ${JSON.stringify(contacts)}`);
  assert.ok(contacts.length > 0, "expected at least one contact");
  for (const entry of contacts) {
    assert.ok(Array.isArray(entry) && entry.length === 3, `not an [id, ip, port] triple: ${JSON.stringify(entry)}`);
    const [id, ip, port] = entry as [{ bytes: string }, string, number];
    assert.match(id.bytes, /^[0-9a-f]{40}$/, "the id must travel as 20 bytes of bin");
    assert.notEqual(id.bytes, requester, "the requester must be excluded");
    assert.equal(ip, LOCALHOST);
    assert.equal(port, allowed.get(id.bytes), `unexpected contact ${JSON.stringify(entry)}`);
  }
}

/** The values (strings, bytes, numbers, booleans) that must cross between the two implementations unchanged. */
const VALUES: Array<[string, DhtValue]> = [
  ["string", "héllo wörld ✓"],
  ["integer", 42],
  ["negative integer", -7],
  ["float", 3.25],
  ["boolean", true],
  ["false", false],
  ["bytes", Uint8Array.of(0, 1, 2, 0xfe, 0xff)],
];

legacyTest("a legacy peer joins a cqkd network", async () => {
  await withNetwork(async (net) => {
    // A small k, so that set/get must really go through other nodes rather than find every value at home.
    const nodes = await cqkdNetwork(net.node, 5, { k: 3 });
    const py = await net.peer({ ksize: 3, bootstrap: [nodes[1]!.address] });
    const pyId = NodeId.fromHex(py.id);

    assert.deepEqual(await py.send({ op: "ping", addr: formatPeer(nodes[2]!.address) }), {
      ok: true,
      id: nodes[2]!.id.hex,
    });
    // A plaintext requester becomes a contact once it answered the node's address probe (a round trip later).
    for (const node of [nodes[1]!, nodes[2]!]) {
      await waitFor(() => node.table.get(pyId) !== undefined, {
        timeoutMs: 5000,
        what: "the legacy peer as a contact",
      });
      assert.deepEqual(node.table.get(pyId), { id: pyId, host: LOCALHOST, port: py.port });
    }

    // stun, both ways.
    assert.deepEqual(await py.send({ op: "stun", addr: formatPeer(nodes[0]!.address) }), {
      ok: true,
      address: [LOCALHOST, py.port],
    });
    assert.deepEqual(await nodes[0]!.stun(py.address), nodes[0]!.address);

    // find_node answers: [id, ip, port] triples of known nodes, requester excluded, both ways.
    const ports = new Map([...nodes.map((n) => [n.id.hex, n.address.port] as const), [py.id, py.port]]);
    const target = NodeId.random();
    const fromCqkd = await py.send({ op: "find_node", addr: formatPeer(nodes[3]!.address), target: target.hex });
    assert.equal(fromCqkd.ok, true);
    assertContactTriples(fromCqkd.contacts, ports, py.id);
    const fromPython = await nodes[3]!.transport.request(py.address, "find_node", [nodes[3]!.id.bytes, target.bytes]);
    assert.ok(Array.isArray(fromPython) && fromPython.length > 0);
    for (const entry of fromPython) {
      assert.ok(Array.isArray(entry) && entry.length === 3);
      const [id, ip, port] = entry as [Uint8Array, string, number];
      assert.ok(id instanceof Uint8Array && id.length === 20);
      assert.notEqual(hex(id), nodes[3]!.id.hex, "the requester must be excluded");
      assert.equal(ip, LOCALHOST);
      assert.equal(port, ports.get(hex(id)));
    }

    // A value the legacy peer sets is read by a cqkd node that does not hold it.
    const written = await py.send({ op: "set", key: "written by the legacy peer", value: "from python" });
    assert.equal(written.ok, true);
    assert.ok((written.stored as number) >= 1, JSON.stringify(written));
    const pyKey = await NodeId.digest("written by the legacy peer");
    const reader = nodes.find((n) => n.records.get(pyKey) === undefined);
    assert.ok(reader, "with k = 3 some cqkd node must not hold the value");
    assert.ok(nodes.some((n) => n.records.get(pyKey) === "from python"), "the legacy store reached cqkd nodes");
    assert.equal(await reader.get("written by the legacy peer"), "from python");

    // A value a cqkd node sets is read by the legacy peer, which (farthest from the key) does not hold it.
    let cqKey = "";
    for (let i = 0; cqKey === ""; i++) {
      const key = await NodeId.digest(`written by cqkd ${i}`);
      if (nodes.every((n) => n.id.distanceTo(key) < pyId.distanceTo(key))) cqKey = `written by cqkd ${i}`;
    }
    const set = await nodes[4]!.set(cqKey, "from cqkd");
    assert.ok(set.replicas >= 1);
    const dkey = await NodeId.digest(cqKey);
    assert.deepEqual(await py.send({ op: "local", key: dkey.hex }), { ok: true, found: false, value: null });
    assert.deepEqual(await py.send({ op: "get", key: cqKey }), {
      ok: true,
      found: true,
      value: "from cqkd",
      local: false,
    });
  });
});

legacyTest("a cqkd node joins a legacy network", async () => {
  await withNetwork(async (net) => {
    const first = await net.peer();
    const second = await net.peer({ bootstrap: [first.address] });
    assert.deepEqual((await first.send({ op: "contacts" })).contacts, [[second.id, LOCALHOST, second.port]]);

    // Values the legacy peers hold before cqkd arrives: the cqkd node has to fetch them.
    for (const [name, value] of VALUES) {
      const answer = await second.send({ op: "set", key: `legacy ${name}`, value: jsonValue(value) });
      assert.equal(answer.ok, true, JSON.stringify(answer));
    }

    const node = net.node();
    const joined = await node.bootstrap([first.address]);
    assert.deepEqual(joined.reached, [first.address]);
    for (const peer of [first, second]) {
      assert.deepEqual(node.table.get(NodeId.fromHex(peer.id)), { id: NodeId.fromHex(peer.id), ...peer.address });
      const { contacts } = await peer.send({ op: "contacts" });
      assert.deepEqual(
        (contacts as unknown[]).filter((c) => (c as string[])[0] === node.id.hex),
        [[node.id.hex, LOCALHOST, node.address.port]],
        `${peer.addr} must list the cqkd node among its contacts`,
      );
    }

    for (const [name, value] of VALUES) {
      // legacy -> cqkd
      assert.deepEqual(await node.get(`legacy ${name}`), value, `legacy ${name}`);
      // cqkd -> legacy: stored on both peers, and answered by cqkd's find_value with the same msgpack type.
      const key = `cqkd ${name}`;
      const set = await node.set(key, value);
      assert.equal(set.replicas, 2, `${key} replicas`);
      const dkey = await NodeId.digest(key);
      for (const peer of [first, second]) {
        assert.deepEqual(await peer.send({ op: "local", key: dkey.hex }), {
          ok: true,
          found: true,
          value: jsonValue(value),
        }, `${key} on ${peer.addr}`);
        assert.deepEqual(await peer.send({ op: "get", key }), {
          ok: true,
          found: true,
          value: jsonValue(value),
          local: true,
        });
      }
      const found = await first.send({ op: "find_value", addr: formatPeer(node.address), key: dkey.hex });
      assert.deepEqual(found.value, jsonValue(value), `find_value ${key} from cqkd`);
    }
  });
});

// A legacy node's datagrams, with id1 = 00..13 (the legacy peer), id2 = 64..77 (the cqkd node) and key = sha1("hello").
const ID1 = "000102030405060708090a0b0c0d0e0f10111213";
const ID2 = "6465666768696a6b6c6d6e6f7071727374757677";
const HELLO = "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d";

function msgpackUint(n: number): string {
  if (n < 0x80) return n.toString(16).padStart(2, "0");
  if (n < 0x100) return "cc" + n.toString(16).padStart(2, "0");
  return "cd" + n.toString(16).padStart(4, "0");
}

legacyTest("cqkd answers byte-identical frames", async () => {
  await withNetwork(async (net) => {
    const node = net.node({ id: NodeId.fromHex(ID2) });
    const other = net.node();
    const py = await net.peer({ id: ID1 });
    await node.set("hello", "world");
    const msgid = hex(crypto.getRandomValues(new Uint8Array(20)));

    /** Sends a request built by umsgpack in Python; checks the request and the answer byte for byte. */
    const exchange = async (to: KademliaNode, name: string, args: unknown[], request: string, response: string) => {
      const answer = await py.send({ op: "raw", addr: formatPeer(to.address), name, args, msgid });
      assert.equal(answer.sent, request.replaceAll(" ", ""), `${name} request built by umsgpack`);
      assert.equal(answer.response, response.replaceAll(" ", ""), `${name} response from cqkd`);
    };
    const id1 = { bytes: ID1 };
    await exchange(
      node,
      "ping",
      [id1],
      `00 ${msgid} 92 a4 70696e67 91 c414 ${ID1}`,
      `01 ${msgid} c414 ${ID2}`,
    );
    await exchange(
      node,
      "find_node",
      [id1, id1],
      `00 ${msgid} 92 a9 66696e645f6e6f6465 92 c414 ${ID1} c414 ${ID1}`,
      `01 ${msgid} 90`, // its only contact is the requester, which is left out
    );
    await other.ping(node.address); // `other` now knows id2 (and id2 knows `other`)
    await exchange(
      other,
      "find_node",
      [id1, id1],
      `00 ${msgid} 92 a9 66696e645f6e6f6465 92 c414 ${ID1} c414 ${ID1}`,
      `01 ${msgid} 91 93 c414 ${ID2} a9 3132372e302e302e31 ${msgpackUint(node.address.port)}`,
    );
    await exchange(
      other,
      "store",
      [id1, { bytes: HELLO }, "world"],
      `00 ${msgid} 92 a5 73746f7265 93 c414 ${ID1} c414 ${HELLO} a5 776f726c64`,
      `01 ${msgid} c3`,
    );
    assert.equal(other.records.get(NodeId.fromHex(HELLO)), "world");
    await exchange(
      node,
      "find_value",
      [id1, { bytes: HELLO }],
      `00 ${msgid} 92 aa 66696e645f76616c7565 92 c414 ${ID1} c414 ${HELLO}`,
      `01 ${msgid} 81 a5 76616c7565 a5 776f726c64`,
    );
    await exchange(
      node,
      "stun",
      [],
      `00 ${msgid} 92 a4 7374756e 90`,
      `01 ${msgid} 92 a9 3132372e302e302e31 ${msgpackUint(py.port)}`,
    );
  });
});

legacyTest("cqkd ignores an unknown method like a legacy node", async () => {
  await withNetwork(async (net) => {
    const node = net.node();
    const py = await net.peer();
    const addr = formatPeer(node.address);
    const unknown = await py.send({ op: "raw", addr, name: "nonexistent_rpc", args: [{ bytes: py.id }] });
    assert.equal(unknown.ok, false);
    assert.equal(unknown.error, "timeout");
    assert.equal(node.transport.stats.dropped["unknown-method"], 1);
    // A 21-byte datagram (header and nothing else) is dropped too.
    const short = await py.send({ op: "raw", addr, hex: "00" + hex(new Uint8Array(20)) });
    assert.deepEqual([short.ok, short.error], [false, "timeout"]);
    assert.equal(node.transport.stats.dropped.short, 1);
    // The legacy peer does the same with a method it does not know.
    await assert.rejects(
      node.transport.request(py.address, "nonexistent_rpc", [node.id.bytes], { timeoutMs: 1000 }),
      RpcTimeoutError,
    );
    // Both still answer.
    assert.deepEqual(await py.send({ op: "ping", addr }), { ok: true, id: node.id.hex });
    assert.ok((await node.ping(py.address)).equals(NodeId.fromHex(py.id)));
  });
});

legacyTest("both sides refuse requests whose payload exceeds 8192 bytes", async () => {
  await withNetwork(async (net) => {
    const node = net.node();
    const py = await net.peer();
    const big = "x".repeat(8200);
    const key = (await NodeId.digest("big")).hex;
    const refused = await py.send({ op: "store", addr: formatPeer(node.address), key, value: big });
    assert.equal(refused.error, "too-large");
    await assert.rejects(
      async () => await node.transport.request(py.address, "store", [node.id.bytes, unhex(key), big]),
      FrameTooLargeError,
    );
    assert.equal(node.records.size, 0);
    assert.deepEqual(await py.send({ op: "local", key }), { ok: true, found: false, value: null });
  });
});

async function assertFindValueKeepsEncoding(value: unknown, encoded: string): Promise<void> {
  await withNetwork(async (net) => {
    const node = net.node();
    const py = await net.peer();
    const addr = formatPeer(node.address);
    const key = { bytes: hex(crypto.getRandomValues(new Uint8Array(20))) };
    assert.equal((await py.send({ op: "raw", addr, name: "store", args: [{ bytes: py.id }, key, value] })).ok, true);
    const answer = await py.send({ op: "raw", addr, name: "find_value", args: [{ bytes: py.id }, key] });
    assert.equal((answer.response as string).slice(42), `81a576616c7565${encoded}`);
  });
}

legacyTest(
  "cqkd answers find_value with a legacy 64-bit integer exactly (2**53 + 1 stays cf 0020000000000001)",
  () => assertFindValueKeepsEncoding({ int: "9007199254740993" }, "cf0020000000000001"),
);

legacyTest(
  "cqkd answers find_value with a legacy integral float as a float (2.0 stays cb 4000000000000000)",
  () => assertFindValueKeepsEncoding({ float: 2.0 }, "cb4000000000000000"),
);

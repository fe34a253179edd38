import assert from "node:assert/strict";
import type { Peer } from "./peer.ts";
import { RpcArgumentError, RpcTimeoutError, TransportClosedError } from "./rpc_errors.ts";
import { RpcRegistry } from "./rpc_registry.ts";
import { UdpTransport } from "./udp_transport.ts";
import { decodeFrame, encodeRequest, encodeResponse, FrameTooLargeError, newMessageId } from "./wire.ts";
import { waitFor } from "../../tests/_wait_for.ts";

/** A server answering `echo` (its args and the sender), `add`, and two failing methods. */
function serverRegistry(): RpcRegistry {
  const registry = new RpcRegistry();
  registry.register("echo", (args, from) => ({ args, from: [from.host, from.port] }));
  registry.register("add", async (args) => {
    await Promise.resolve();
    return (args[0] as number) + (args[1] as number);
  });
  registry.register("strict", () => {
    throw new RpcArgumentError("Expected nothing");
  });
  registry.register("broken", () => {
    throw new Error("boom");
  });
  return registry;
}

/** A plain socket, to play a peer that does not follow the protocol. */
function rawSocket(): Deno.DatagramConn & Disposable & { peer: Peer } {
  const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const addr = conn.addr as Deno.NetAddr;
  return Object.assign(conn, { peer: { host: addr.hostname, port: addr.port }, [Symbol.dispose]: () => conn.close() });
}

function send(conn: Deno.DatagramConn, datagram: Uint8Array, to: Peer): Promise<number> {
  return conn.send(datagram, { transport: "udp", hostname: to.host, port: to.port });
}

/** A round trip from `client` to `server`: the server has handled every datagram the client sent before. */
async function sync(client: UdpTransport, server: UdpTransport): Promise<void> {
  assert.equal((await client.request(server.address, "add", [1, 2])) as number, 3);
}

Deno.test("UdpTransport.request() gets the answer of the peer's registered handler", async () => {
  await using server = UdpTransport.listen(serverRegistry());
  await using client = UdpTransport.listen(new RpcRegistry());
  const bytes = new Uint8Array([1, 2, 3]);
  const answer = await client.request(server.address, "echo", ["hi", 7, bytes]);
  assert.deepEqual(answer, { args: ["hi", 7, bytes], from: [client.address.host, client.address.port] });
  assert.equal(await client.request(server.address, "add", [40, 2]), 42);
  assert.equal(client.pendingCount, 0);
  assert.equal(client.stats.requestsOut, 2);
  assert.equal(client.stats.responsesIn, 2);
  assert.equal(server.stats.requestsIn, 2);
  assert.equal(server.stats.datagramsOut, 2);
  assert.equal(client.stats.droppedTotal + server.stats.droppedTotal, 0);
});

Deno.test("UdpTransport.request() counts requests by purpose besides the total", async () => {
  await using server = UdpTransport.listen(serverRegistry());
  await using client = UdpTransport.listen(new RpcRegistry());
  await client.request(server.address, "add", [1, 1], { purpose: "refresh" });
  await client.request(server.address, "add", [1, 1], { purpose: "refresh" });
  await client.request(server.address, "add", [1, 1], { purpose: "health" });
  await client.request(server.address, "add", [1, 1]);
  assert.equal(client.stats.requestsOut, 4);
  assert.deepEqual(client.stats.requestsByPurpose, { refresh: 2, health: 1 });
});

Deno.test("UdpTransport calls onRequestSettled once per request with its outcome", async () => {
  const settled: Array<{ method: string; outcome: string; elapsedMs: number }> = [];
  await using server = UdpTransport.listen(serverRegistry());
  using silent = rawSocket();
  const client = UdpTransport.listen(new RpcRegistry(), {
    onRequestSettled: ({ method, outcome, elapsedMs }) => settled.push({ method, outcome, elapsedMs }),
  });
  await client.request(server.address, "add", [1, 2]);
  await assert.rejects(client.request(silent.peer, "ping", [], { timeoutMs: 50 }), RpcTimeoutError);
  const aborting = new AbortController();
  const aborted = client.request(silent.peer, "find_node", [], { signal: aborting.signal });
  aborting.abort(new Error("stop"));
  await assert.rejects(aborted, /stop/);
  const closing = assert.rejects(client.request(silent.peer, "store", []), TransportClosedError);
  await client.close();
  await closing;
  assert.deepEqual(settled.map(({ method, outcome }) => [method, outcome]), [
    ["add", "ok"],
    ["ping", "timeout"],
    ["find_node", "aborted"],
    ["store", "error"],
  ]);
  assert.ok(settled[1]!.elapsedMs >= 45, "a timeout settles after its timeout");
});

Deno.test("RpcRegistry.unregister() withdraws a method: the transport stops answering it", async () => {
  const registry = serverRegistry();
  await using server = UdpTransport.listen(registry);
  await using client = UdpTransport.listen(new RpcRegistry());
  assert.equal(registry.unregister("add"), true);
  assert.equal(registry.unregister("add"), false);
  await assert.rejects(client.request(server.address, "add", [1, 2], { timeoutMs: 100 }), RpcTimeoutError);
  assert.equal(server.stats.dropped["unknown-method"], 1);
});

Deno.test("UdpTransport.request() keeps concurrent requests apart by message id", async () => {
  await using server = UdpTransport.listen(serverRegistry());
  await using client = UdpTransport.listen(new RpcRegistry());
  const answers = await Promise.all(
    Array.from({ length: 50 }, (_, i) => client.request(server.address, "add", [i, i])),
  );
  assert.deepEqual(answers, Array.from({ length: 50 }, (_, i) => 2 * i));
});

Deno.test("UdpTransport.request() rejects with RpcTimeoutError when nobody answers, and counts it", async () => {
  using silent = rawSocket();
  await using client = UdpTransport.listen(new RpcRegistry());
  await assert.rejects(client.request(silent.peer, "ping", [], { timeoutMs: 100 }), (error) => {
    assert.ok(error instanceof RpcTimeoutError);
    assert.equal(error.method, "ping");
    assert.deepEqual(error.peer, silent.peer);
    assert.equal(error.message, `No answer to ping from 127.0.0.1:${silent.peer.port} within 100 ms`);
    return true;
  });
  assert.equal(client.stats.timeouts, 1);
  assert.equal(client.pendingCount, 0);
});

Deno.test("UdpTransport does not answer a request it cannot serve, and counts the drop", async (t) => {
  const cases = [
    { name: "unknown method", method: "no_such_rpc", reason: "unknown-method" },
    { name: "handler throws RpcArgumentError", method: "strict", reason: "bad-arguments" },
    { name: "handler throws another error", method: "broken", reason: "handler-error" },
  ] as const;
  for (const { name, method, reason } of cases) {
    await t.step(name, async () => {
      const warnings: string[] = [];
      await using server = UdpTransport.listen(serverRegistry(), { onWarning: (w) => warnings.push(w) });
      await using client = UdpTransport.listen(new RpcRegistry());
      await assert.rejects(client.request(server.address, method, [], { timeoutMs: 100 }), RpcTimeoutError);
      await sync(client, server);
      assert.equal(server.stats.dropped[reason], 1);
      assert.equal(server.stats.droppedTotal, 1);
      assert.equal(server.stats.datagramsOut, 1, "only the sync request was answered");
      assert.deepEqual(warnings, reason === "handler-error" ? ["Handler of broken failed: boom"] : []);
    });
  }
});

Deno.test("UdpTransport drops a response that comes from another socket than the one asked", async () => {
  using peer = rawSocket();
  using impostor = rawSocket();
  await using client = UdpTransport.listen(new RpcRegistry());
  const answer = client.request(peer.peer, "ping", [], { timeoutMs: 5000 });
  const [datagram] = await peer.receive();
  const request = decodeFrame(datagram);
  assert.equal(request.kind === "request" && request.method, "ping");
  await send(impostor, encodeResponse(request.messageId, "forged"), client.address);
  await waitFor(() => client.stats.dropped["wrong-sender"] === 1, {
    timeoutMs: 2000,
    what: "the forged response is dropped",
  });
  await send(peer, encodeResponse(request.messageId, "genuine"), client.address);
  assert.equal(await answer, "genuine");
  assert.equal(client.stats.dropped["wrong-sender"], 1);
  assert.equal(client.stats.responsesIn, 1);
});

Deno.test("UdpTransport drops a response to no pending request as unsolicited", async () => {
  using raw = rawSocket();
  await using node = UdpTransport.listen(serverRegistry());
  await using other = UdpTransport.listen(new RpcRegistry());
  await send(raw, encodeResponse(newMessageId(), true), node.address);
  await send(raw, encodeRequest(newMessageId(), "add", [1, 1]), node.address);
  const [reply] = await raw.receive();
  assert.equal(decodeFrame(reply).kind, "response");
  await waitFor(() => node.stats.datagramsIn === 2, { timeoutMs: 2000, what: "both datagrams are read" });
  assert.equal(node.stats.dropped.unsolicited, 1);
  assert.equal(node.stats.responsesIn, 0);
  await sync(other, node);
  assert.equal(node.stats.droppedTotal, 1);
});

Deno.test("UdpTransport drops datagrams over maxDatagramBytes as oversized", async () => {
  using raw = rawSocket();
  await using node = UdpTransport.listen(serverRegistry(), { maxDatagramBytes: 100 });
  await using client = UdpTransport.listen(new RpcRegistry());
  // Exactly at the limit is read (and, being garbage, dropped for its first byte); one more byte is oversized.
  await send(raw, new Uint8Array(100).fill(0x07), node.address);
  await send(raw, new Uint8Array(101), node.address);
  await send(raw, new Uint8Array(5000), node.address);
  await send(raw, encodeRequest(newMessageId(), "add", [2, 2]), node.address);
  const [reply] = await raw.receive();
  const frame = decodeFrame(reply);
  assert.equal(frame.kind === "response" && frame.result, 4);
  await waitFor(() => node.stats.datagramsIn === 4, { timeoutMs: 2000, what: "every datagram is read" });
  assert.equal(node.stats.dropped.oversized, 2);
  assert.equal(node.stats.dropped["unknown-kind"], 1);
  await sync(client, node);
});

Deno.test("UdpTransport does not send a response larger than maxDatagramBytes", async () => {
  const registry = new RpcRegistry();
  registry.register("big", () => "z".repeat(500));
  registry.register("add", (args) => (args[0] as number) + (args[1] as number));
  await using node = UdpTransport.listen(registry, { maxDatagramBytes: 200 });
  await using client = UdpTransport.listen(new RpcRegistry());
  await assert.rejects(client.request(node.address, "big", [], { timeoutMs: 100 }), RpcTimeoutError);
  await sync(client, node);
  assert.equal(node.stats.dropped["response-too-large"], 1);
});

Deno.test("UdpTransport.request() rejects a request over the payload limit with FrameTooLargeError", async () => {
  using silent = rawSocket();
  await using client = UdpTransport.listen(new RpcRegistry());
  await assert.rejects(client.request(silent.peer, "store", ["x".repeat(9000)]), FrameTooLargeError);
  assert.equal(client.stats.requestsOut, 0);
  assert.equal(client.pendingCount, 0);
});

Deno.test("UdpTransport.close() rejects pending requests with TransportClosedError", async () => {
  using silent = rawSocket();
  const client = UdpTransport.listen(new RpcRegistry());
  const pending = [1, 2, 3].map(() => client.request(silent.peer, "ping", [], { timeoutMs: 60_000 }));
  assert.equal(client.pendingCount, 3);
  const outcomes = Promise.allSettled(pending);
  await client.close();
  for (const outcome of await outcomes) {
    assert.equal(outcome.status, "rejected");
    const error = (outcome as PromiseRejectedResult).reason;
    assert.ok(error instanceof TransportClosedError);
    assert.equal(error.message, "Cannot complete the request: the transport is closed");
  }
  assert.equal(client.pendingCount, 0);
  await assert.rejects(client.request(silent.peer, "ping", []), TransportClosedError);
  await client.close(); // idempotent
});

Deno.test("UdpTransport.request() rejects with the reason of an aborted signal", async (t) => {
  using silent = rawSocket();
  await using client = UdpTransport.listen(new RpcRegistry());
  await t.step("aborted while pending", async () => {
    const controller = new AbortController();
    const request = client.request(silent.peer, "ping", [], { timeoutMs: 60_000, signal: controller.signal });
    assert.equal(client.pendingCount, 1);
    const reason = new Error("user gave up");
    controller.abort(reason);
    await assert.rejects(request, (error) => error === reason);
    assert.equal(client.pendingCount, 0);
    assert.equal(client.stats.timeouts, 0);
  });
  await t.step("already aborted: nothing is sent", async () => {
    const sentBefore = client.stats.requestsOut;
    const signal = AbortSignal.abort(new DOMException("stop", "AbortError"));
    await assert.rejects(client.request(silent.peer, "ping", [], { signal }), { name: "AbortError", message: "stop" });
    assert.equal(client.stats.requestsOut, sentBefore);
    assert.equal(client.pendingCount, 0);
  });
});

Deno.test("RpcRegistry.register() refuses a name that is taken", () => {
  const registry = new RpcRegistry();
  registry.register("ping", () => true);
  assert.throws(() => registry.register("ping", () => false), {
    name: "Error",
    message: "Cannot register RPC ping: it is already registered",
  });
  assert.deepEqual(registry.methods(), ["ping"]);
  assert.equal(registry.get("nope"), undefined);
});

import assert from "node:assert/strict";
import {
  PortAllocationTimeoutError,
  PortExhaustedError,
  portRangeFor,
  PortRegistry,
  splitRange,
} from "./port_registry.ts";

/** Binds a real UDP socket on 127.0.0.1. */
function bindUdp(port: number): Deno.DatagramConn {
  return Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port });
}

/** A port range of `size` ports that are free right now, found by asking the system for one. */
function freeRange(size: number): { first: number; last: number } {
  for (let attempt = 0; attempt < 50; attempt++) {
    const probe = bindUdp(0);
    const first = (probe.addr as Deno.NetAddr).port;
    probe.close();
    if (first + size - 1 > 65535) continue;
    const held: Deno.DatagramConn[] = [];
    try {
      for (let port = first; port < first + size; port++) held.push(bindUdp(port));
      return { first, last: first + size - 1 };
    } catch {
      continue;
    } finally {
      for (const socket of held) socket.close();
    }
  }
  throw new Error("no free port range found");
}

Deno.test("PortRegistry.allocate() skips a port held by another socket and records the conflict", () => {
  const range = freeRange(4);
  const foreign = bindUdp(range.first);
  const ports = new PortRegistry(range);
  const sockets: Deno.DatagramConn[] = [];
  try {
    sockets.push(ports.allocate(bindUdp, "w1"));
    assert.equal((sockets[0]!.addr as Deno.NetAddr).port, range.first + 1);
    assert.deepEqual(ports.conflicts().map((c) => c.port), [range.first]);
    assert.equal(ports.ownerOf(range.first + 1), "w1");
    assert.equal(ports.ownerOf(range.first), undefined);
  } finally {
    foreign.close();
    for (const socket of sockets) socket.close();
  }
});

Deno.test("PortRegistry.allocate() hands out unique ports until the range is exhausted", () => {
  const range = freeRange(3);
  const ports = new PortRegistry(range);
  const sockets = [ports.allocate(bindUdp), ports.allocate(bindUdp), ports.allocate(bindUdp)];
  try {
    const bound = sockets.map((s) => (s.addr as Deno.NetAddr).port);
    assert.equal(new Set(bound).size, 3);
    assert.throws(() => ports.allocate(bindUdp), {
      name: PortExhaustedError.name,
      message: `Cannot allocate a port: range ${range.first}-${range.last} is exhausted`,
    });
  } finally {
    for (const socket of sockets) socket.close();
  }
});

Deno.test("PortRegistry.release() returns a port, reused only after the rest of the range", () => {
  const ports = new PortRegistry({ first: 7000, last: 7002 });
  assert.equal(ports.allocate((p) => p), 7000);
  assert.equal(ports.allocate((p) => p), 7001);
  ports.release(7000);
  assert.equal(ports.allocate((p) => p), 7002);
  assert.equal(ports.allocate((p) => p), 7000);
  assert.equal(ports.size, 3);
});

Deno.test("PortRegistry.allocate() gives up after the allocation timeout", () => {
  let clock = 0;
  const ports = new PortRegistry({ first: 7000, last: 7999 }, { allocationTimeoutMs: 100, now: () => clock });
  const busy = () => {
    clock += 30;
    throw new Deno.errors.AddrInUse("Address in use");
  };
  assert.throws(() => ports.allocate(busy), {
    name: PortAllocationTimeoutError.name,
    message: "Cannot allocate a port: no free port in 7000-7999 after 100 ms (4 tried)",
  });
  assert.equal(ports.conflicts().length, 4);
});

Deno.test("PortRegistry.allocate() passes on errors other than a port in use", () => {
  const ports = new PortRegistry({ first: 7000, last: 7001 });
  assert.throws(() =>
    ports.allocate(() => {
      throw new Deno.errors.PermissionDenied("no");
    }), Deno.errors.PermissionDenied);
});

Deno.test("PortRegistry refuses ranges outside the allowed ones and outside 1-65535", () => {
  assert.throws(
    () => new PortRegistry({ first: 5000, last: 7100 }, { allowed: [{ first: 7000, last: 7999 }] }),
    /Port range 5000-7100 is not allowed \(allowed: 7000-7999\)/,
  );
  assert.throws(() => new PortRegistry({ first: 0, last: 10 }), RangeError);
  assert.throws(() => new PortRegistry({ first: 7010, last: 7000 }), RangeError);
});

Deno.test("portRangeFor() extends the range past max_port for a larger network", () => {
  assert.deepEqual(portRangeFor(1000, 7000, 7999), { first: 7000, last: 7999 });
  assert.deepEqual(portRangeFor(1500, 7000, 7999), { first: 7000, last: 8499 });
  assert.throws(() => portRangeFor(60000, 7000, 7999), /past 65535/);
});

Deno.test("splitRange() cuts disjoint contiguous slices covering the range", () => {
  const slices = splitRange({ first: 7000, last: 7009 }, 3);
  assert.deepEqual(slices, [{ first: 7000, last: 7003 }, { first: 7004, last: 7006 }, { first: 7007, last: 7009 }]);
  assert.throws(() => splitRange({ first: 7000, last: 7001 }, 3), RangeError);
});

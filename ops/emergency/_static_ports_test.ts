import assert from "node:assert/strict";
import { StaticPorts } from "./_static_ports.ts";

Deno.test("StaticPorts.take() hands out ports from the first up, skipping reserved ones and ones held now", () => {
  const held = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const busy = (held.addr as Deno.NetAddr).port;
    const first = busy - 2;
    const ports = new StaticPorts(first, new Set([first + 1]));
    const taken = [ports.take(), ports.take()];
    assert.ok(taken[0]! >= first && taken[1]! > taken[0]!, `ascending from ${first}: ${taken}`);
    assert.ok(!taken.includes(first + 1) && !taken.includes(busy), `${taken} skips ${first + 1} and ${busy}`);
  } finally {
    held.close();
  }
});

Deno.test("StaticPorts.take() throws CommandError when no port is left", () => {
  const ports = new StaticPorts(65535, new Set([65535]));
  assert.throws(() => ports.take(), {
    name: "CommandError",
    message: "Cannot give a node a static port: every port from 65535 up is taken",
  });
});

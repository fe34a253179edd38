import assert from "node:assert/strict";
import type { SealedMessenger, SealedPeer } from "./sealed_messenger.ts";
import { SessionChannel } from "./session_channel.ts";

/** A messenger that records what the channel hands it. */
function recordingMessenger() {
  const sent: Array<{ method: string; body: Record<string, unknown>; options: { timeoutMs?: number } }> = [];
  const messenger = {
    request(_to: SealedPeer, method: string, body: Record<string, unknown>, options: { timeoutMs?: number }) {
      sent.push({ method, body, options });
      return Promise.resolve(true);
    },
  } as unknown as SealedMessenger;
  return { sent, messenger };
}

const bob = { host: "127.0.0.1", port: 1, key: new Uint8Array(32), identity: new Uint8Array(32) } as SealedPeer;

Deno.test("a session channel numbers its messages and gives the peer its answer time unless a request says otherwise", async () => {
  const { sent, messenger } = recordingMessenger();
  const channel = new SessionChannel(messenger, "00112233aabbccdd", bob, 30_000);
  await channel.request("session_confirm", { tag: 1 });
  await channel.request("session_notify", {}, { timeoutMs: 15_000 });
  assert.deepEqual(sent.map((m) => [m.method, m.body.session, m.body.seq, m.options.timeoutMs]), [
    ["session_confirm", "00112233aabbccdd", 1, 30_000],
    ["session_notify", "00112233aabbccdd", 2, 15_000],
  ]);
  const { sent: plain, messenger: other } = recordingMessenger();
  await new SessionChannel(other, "00112233aabbccdd", bob).request("session_abort", {});
  assert.equal(plain[0]!.options.timeoutMs, undefined, "without one, the messenger's own timeout");
});

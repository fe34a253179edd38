import assert from "node:assert/strict";
import { CqkdMetrics } from "../../core/metrics/mod.ts";
import { KeyStore } from "../../roles/keystore/mod.ts";
import { EtsiClient, localSessionProducer } from "../../roles/kme/mod.ts";
import { readKmeInfo } from "./local_kmes.ts";
import { startKeyDelivery } from "./key_delivery.ts";

Deno.test("startKeyDelivery(): the pool fills from the in-process key exchange and SAEs drain it through both KMEs", async () => {
  const stateDir = await Deno.makeTempDir();
  try {
    const aliceStore = new KeyStore(), bobStore = new KeyStore();
    const metrics = new CqkdMetrics();
    {
      await using delivery = await startKeyDelivery({
        stateDir,
        aliceStore,
        bobStore,
        producer: localSessionProducer({ alice: aliceStore, bob: bobStore, noise: 0.02 }),
        lowWatermarkBits: 1024,
        highWatermarkBits: 4096,
        sessionBits: 1024,
        parallel: 2,
        metrics,
      });
      await delivery.pool.filled();
      const info = await readKmeInfo(stateDir);
      assert.deepEqual(info.kmes.map((k) => k.url), [delivery.aliceUrl, delivery.bobUrl]);
      const client = async (index: number) =>
        new EtsiClient({
          url: info.kmes[index]!.url!,
          ca: await Deno.readTextFile(info.kmes[index]!.ca),
          cert: await Deno.readTextFile(info.saes[index]!.cert),
          key: await Deno.readTextFile(info.saes[index]!.key),
        });
      await using alice = await client(0);
      await using bob = await client(1);
      let delivered = 0;
      while (!delivery.pool.refilling) {
        const { keys } = await alice.getKeys("sae-bob", { number: 4 });
        assert.deepEqual((await bob.getKeysById("sae-alice", keys.map((k) => k.key_ID))).keys, keys);
        delivered += keys.length;
      }
      assert.ok(delivered >= 12, `${delivered} keys delivered before the pool went under 1024 bits`);
      await delivery.pool.filled();
      assert.ok(aliceStore.bits >= 4096);
      assert.deepEqual(bobStore.ids(), aliceStore.ids());
    }
    assert.deepEqual((await readKmeInfo(stateDir)).kmes.map((k) => k.url), [null, null]);
    assert.match(
      await metrics.render(),
      /^cqkd_key_pool_sessions_total\{pair="sae-alice\/sae-bob",outcome="completed"\} [1-9]/m,
    );
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

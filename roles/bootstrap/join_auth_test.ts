import assert from "node:assert/strict";
import { SigningIdentity } from "../../core/crypto/mod.ts";
import { NodeHost } from "../../core/host.ts";
import { formatPeer } from "../../core/net/mod.ts";
import { ATTEMPT_TIMEOUT_MS } from "./_test_util.ts";
import { AnswerSigner } from "./answer_signer.ts";
import { BootstrapTrust } from "./bootstrap_trust.ts";
import { issueBootstrapCertificate } from "./certificate.ts";
import { joinNetwork } from "./join.ts";
import { JoinError } from "./join_error.ts";
import { BootstrapService, type BootstrapServiceOptions } from "./service.ts";

/** A bootstrap node on 127.0.0.1 serving `tier` (signing its answers when given a signer). */
function bootstrapNode(host: NodeHost, options: BootstrapServiceOptions) {
  const node = host.start();
  return { node, service: BootstrapService.attach(node, { heartbeatMs: 60_000, ...options }), seed: node.address };
}

Deno.test("joinNetwork() with a trust list skips a bootstrap not on it and joins through a trusted one", async () => {
  await using host = new NodeHost({ rpcTimeoutMs: 200 });
  const trusted = SigningIdentity.generate();
  const impostor = bootstrapNode(host, { tier: "super", signer: new AnswerSigner(SigningIdentity.generate()) });
  const unsigned = bootstrapNode(host, { tier: "super" });
  await using _impostor = impostor.service;
  await using _unsigned = unsigned.service;
  await using genuine = bootstrapNode(host, { tier: "super", signer: new AnswerSigner(trusted) }).service;
  const trust = new BootstrapTrust({ trustedKeys: [trusted.publicKey] });
  const seeds = [impostor.seed, unsigned.seed, host.nodes()[2]!.address];
  const worker = host.start();
  await using attachment = await joinNetwork(worker, {
    seeds,
    role: "worker",
    trust,
    attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
  });
  assert.deepEqual(attachment.attachedTo, genuine.info());
  assert.deepEqual(attachment.entry, seeds[2]);
  assert.deepEqual(attachment.attempts.map((a) => a.outcome), ["unauthenticated", "unauthenticated", "accepted"]);
  assert.match(attachment.attempts[0]!.detail!, /^signed by key [0-9a-f]{16}…: not in the trust list$/);
  assert.equal(attachment.attempts[1]!.detail, "the answer is not signed");
  assert.equal(genuine.load, 1);
  assert.equal(worker.table.get(impostor.node.id), undefined, "no Kademlia join through the impostor");
  await attachment.leave();
  // The untrusted ones admitted the worker too (their answers were only not believed): it released those slots.
  for (const skipped of [impostor, unsigned]) {
    for (let i = 0; i < 50 && skipped.service.load > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(skipped.service.load, 0);
  }
});

Deno.test("joinNetwork() with a trust policy names every unauthenticated address in the JoinError", async () => {
  await using host = new NodeHost({ rpcTimeoutMs: 200 });
  await using impostor = bootstrapNode(host, { tier: "super", signer: new AnswerSigner(SigningIdentity.generate()) })
    .service;
  const plain = host.start(); // a plain DHT node: answers ping, not the bootstrap RPCs
  const seeds = [host.nodes()[0]!.address, plain.address];
  const trust = new BootstrapTrust({ authorityKey: SigningIdentity.generate().publicKey });
  const worker = host.start();
  await assert.rejects(
    joinNetwork(worker, { seeds, role: "worker", trust, attemptTimeoutMs: ATTEMPT_TIMEOUT_MS }),
    (error) => {
      assert.ok(error instanceof JoinError);
      assert.equal(
        error.message,
        `Cannot join the network: ${formatPeer(seeds[0]!)} unauthenticated: signed by key ${
          error.attempts[0]!.detail!.slice(14, 30)
        }…: not in the trust list and without a certificate; ${formatPeer(plain.address)} unauthenticated: ` +
          "answers ping but not cqkd_bootstrap_join: a plain DHT node cannot prove a trusted key",
      );
      return true;
    },
  );
  assert.equal(impostor.load, 1, "admitted, but the worker did not believe it");
  assert.equal(worker.table.size, 0, "no Kademlia join through an unauthenticated node");
});

Deno.test("joinNetwork() with an authority key follows redirects between certified bootstrap nodes", async () => {
  await using host = new NodeHost({ rpcTimeoutMs: 200 });
  const authority = SigningIdentity.generate();
  const certified = (name: string) => {
    const identity = SigningIdentity.generate();
    return new AnswerSigner(identity, issueBootstrapCertificate(authority, identity.publicKey, { name }));
  };
  const top = bootstrapNode(host, { tier: "super", signer: certified("super-0") });
  await using _top = top.service;
  const local = bootstrapNode(host, { tier: "local", parent: top.seed, signer: certified("local-0") });
  await using _local = local.service;
  await local.service.announceNow();
  const worker = host.start();
  const trust = new BootstrapTrust({ authorityKey: authority.publicKey });
  await using attachment = await joinNetwork(worker, {
    seeds: [{ ...top.seed, tier: "super" }],
    role: "worker",
    trust,
    attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
  });
  assert.deepEqual(attachment.attempts.map((a) => a.outcome), ["redirect", "accepted"]);
  assert.deepEqual(attachment.attachedTo, local.service.info());
});

Deno.test("A bootstrap node with a signer answers joiners without a trust policy as before", async () => {
  await using host = new NodeHost({ rpcTimeoutMs: 200 });
  await using service = bootstrapNode(host, { tier: "super", signer: new AnswerSigner(SigningIdentity.generate()) })
    .service;
  const worker = host.start();
  await using attachment = await joinNetwork(worker, { seeds: [host.nodes()[0]!.address], role: "worker" });
  assert.deepEqual(attachment.attachedTo, service.info());
});

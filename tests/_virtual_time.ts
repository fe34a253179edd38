/**
 * Unit tests on virtual time: the real node code on the simulator's clock, timers and datagram network (sim/), so
 * that a test that waits for a timer (a health check's interval, an RPC's timeout) moves the clock instead of
 * sleeping. One world per test, disposed at its end (`await using net = new VirtualNet()` stops its nodes and puts
 * the real runtime back).
 *
 * @module
 */
import { type Contact, KademliaNode, type KademliaNodeOptions, NodeId } from "../core/kademlia/mod.ts";
import { hostAddress } from "../sim/network.ts";
import { World } from "../sim/world.ts";

const PORT = 4000;

/** Nodes on a simulated network whose clock moves only when the test says so. */
export class VirtualNet implements AsyncDisposable {
  readonly world: World;
  readonly #nodes: KademliaNode[] = [];
  #hosts = 0;

  constructor(seed = 1) {
    this.world = new World({ seed });
  }

  /** Virtual milliseconds since the start. */
  get nowMs(): number {
    return this.world.scheduler.now;
  }

  /** Starts a node on a host of its own; it is stopped with the world. */
  start(options: KademliaNodeOptions = {}): KademliaNode {
    const ctx = this.world.newProcess();
    const node = this.world.scheduler.within(
      ctx,
      () => KademliaNode.start({ host: hostAddress(++this.#hosts), port: PORT, ...options }),
    );
    this.#nodes.push(node);
    return node;
  }

  /** A contact at an address where nothing listens (its datagrams are lost). */
  deadContact(): Contact {
    return { id: NodeId.random(), host: hostAddress(++this.#hosts), port: PORT };
  }

  /** Moves the clock `ms` forward, running every timer and datagram due meanwhile. */
  advance(ms: number): Promise<void> {
    return this.world.scheduler.run(this.world.scheduler.now + ms);
  }

  /**
   * Runs the clock until `promise` settles (at most `limitMs` of virtual time), and returns what it settled with.
   * @throws {Error} when it has not settled by then
   */
  async settle<T>(promise: Promise<T>, limitMs = 60_000): Promise<T> {
    let settled = false;
    promise.then(() => settled = true, () => settled = true);
    const until = this.nowMs + limitMs;
    while (!settled && this.nowMs < until) await this.advance(10);
    if (!settled) throw new Error(`Not settled within ${limitMs} ms of virtual time`);
    return await promise;
  }

  /** Runs the clock until `check` holds (at most `limitMs` of virtual time). @throws {Error} when it never did */
  async until(check: () => boolean, what: string, limitMs = 60_000): Promise<void> {
    const until = this.nowMs + limitMs;
    while (!check()) {
      if (this.nowMs >= until) throw new Error(`Waited ${limitMs} ms of virtual time until ${what}`);
      await this.advance(10);
    }
  }

  /** Starts `count` nodes and joins each through the first, on virtual time. */
  async joined(count: number, options: (i: number) => KademliaNodeOptions = () => ({})): Promise<KademliaNode[]> {
    const nodes = [this.start(options(0))];
    for (let i = 1; i < count; i++) {
      const node = this.start(options(i));
      await this.settle(node.bootstrap([nodes[0]!.address]));
      nodes.push(node);
    }
    await this.advance(1000); // address validations and hand-overs settle
    return nodes;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await Promise.all(this.#nodes.map((node) => node.stop()));
    } finally {
      this.world[Symbol.dispose]();
    }
  }
}

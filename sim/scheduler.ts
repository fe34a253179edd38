import { TraceHash } from "./trace.ts";

/** One scheduled callback, owned by a context (a simulated process; 0 is the simulation itself). */
export interface SimEvent {
  t: number;
  seq: number;
  ctx: number;
  /** What kind of event it is, mixed into the trace (timer, datagram, scenario step). */
  kind: number;
  fn: () => void;
  cancelled: boolean;
}

/** A timer's handle: its event. */
export type TimerEvent = SimEvent;

/** Event kinds, as mixed into the trace hash. */
export const EventKind = { timer: 1, datagram: 2, step: 3 } as const;

/** Raised out of {@linkcode Scheduler.run} when an invariant breaks: the run stops at the first one. */
export class InvariantError extends Error {
  override name = "InvariantError";
}

/**
 * Lets the promise continuations an event caused run before the next event, by awaiting this many microtask turns.
 * Purely microtask-based on purpose: a macrotask hop (a message port, setImmediate) is not reliably ordered after
 * the microtask queue in Deno (its completion is polled, and sometimes resolves at once), which made runs under load
 * diverge. A deeper chain spills into the next event's turns, always the same way, so runs stay reproducible.
 */
const DRAIN_TURNS = 256;

/** Awaited by {@linkcode drain}: a settled native promise takes one turn like `await undefined`, but allocates none. */
const SETTLED = Promise.resolve();

async function drain(): Promise<void> {
  for (let turn = 0; turn < DRAIN_TURNS; turn++) await SETTLED;
}

/**
 * Virtual time that jumps from event to event. Events run in (time, insertion) order, one at a time, each followed
 * by every promise continuation it caused, in the context of the process that owns it: timers belong to whichever
 * process set them, so a crashed process's timers and datagrams are dropped with it. Nothing here reads the real
 * clock, so a run depends only on what is scheduled.
 */
export class Scheduler {
  /** Virtual milliseconds since the start of the run. */
  now = 0;
  /** The process whose code runs now. */
  current = 0;
  /** Events run so far. */
  events = 0;
  readonly trace = new TraceHash();
  /**
   * When the process `ctx` is frozen at `t` (a host process short of CPU), the virtual time it runs again; an event
   * of a frozen process waits until then, its timers first (a process that resumes fires the timers that expired
   * before it reads the datagrams queued meanwhile). @default never frozen
   */
  frozenUntil: ((ctx: number, t: number) => number | undefined) | undefined;
  /** Work outside virtual time an event may start (WebCrypto): the next event waits until none is pending. */
  hostWork: { readonly pending: number; idle(): Promise<void> } | undefined;
  /** Called every 2^17 events (progress reports of long runs; it must not schedule anything). */
  onProgress: (() => void) | undefined;
  readonly #heap: SimEvent[] = [];
  readonly #crashed = new Set<number>();
  #seq = 0;
  #nextContext = 1;
  #failure: unknown;

  /** A fresh process context. */
  newContext(): number {
    return this.#nextContext++;
  }

  /** Runs `fn` now in context `ctx` (its timers and sockets belong to that process). */
  within<T>(ctx: number, fn: () => T): T {
    const outer = this.current;
    this.current = ctx;
    try {
      return fn();
    } finally {
      this.current = outer;
    }
  }

  /** Schedules `fn` at virtual time `t` (not before now) in context `ctx`. */
  at(t: number, ctx: number, fn: () => void, kind: number = EventKind.step): void {
    this.#push({ t: Math.max(t, this.now), seq: this.#seq++, ctx, kind, fn, cancelled: false });
  }

  /** A timer of the current process; the handle (the event itself: no lookup to cancel it) cancels it. */
  setTimeout(fn: () => void, ms = 0): TimerEvent {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const event: SimEvent = {
      t: this.now + delay,
      seq: this.#seq++,
      ctx: this.current,
      kind: EventKind.timer,
      fn,
      cancelled: false,
    };
    this.#push(event);
    return event;
  }

  clearTimeout(handle: TimerEvent | undefined): void {
    if (handle === undefined || handle.kind !== EventKind.timer) return;
    handle.cancelled = true;
    // The event stays in the heap until its time; what its callback holds (a request's state) is freed now.
    handle.fn = noop;
  }

  /** Crashes a process: none of its pending events will run. */
  crash(ctx: number): void {
    this.#crashed.add(ctx);
  }

  isCrashed(ctx: number): boolean {
    return this.#crashed.has(ctx);
  }

  /** Stops the run at the next event with `error` (an invariant that broke inside an event). */
  fail(error: unknown): void {
    this.#failure ??= error;
  }

  /** Events waiting. */
  get pending(): number {
    return this.#heap.length;
  }

  /**
   * Runs events until virtual time `untilMs` (then sets the clock to it).
   * @throws the first failure reported by {@linkcode fail}
   */
  async run(untilMs: number): Promise<void> {
    while (this.#heap.length > 0 && this.#heap[0]!.t <= untilMs) {
      const event = this.#pop();
      if (event.cancelled || this.#crashed.has(event.ctx)) continue;
      const resumeAt = this.frozenUntil?.(event.ctx, event.t);
      if (resumeAt !== undefined && resumeAt > event.t) {
        event.t = resumeAt + (event.kind === EventKind.timer ? 0 : 0.001);
        event.seq = this.#seq++;
        this.#push(event);
        continue;
      }
      this.now = event.t;
      this.current = event.ctx;
      if ((++this.events & 0x1ffff) === 0) this.onProgress?.();
      this.trace.add(event.t);
      this.trace.add(event.ctx);
      this.trace.add(event.kind);
      try {
        event.fn();
      } catch (error) {
        this.fail(error);
      }
      await drain();
      while (this.hostWork !== undefined && this.hostWork.pending > 0) {
        await this.hostWork.idle();
        await drain();
      }
      this.current = 0;
      if (this.#failure !== undefined) throw this.#failure;
    }
    this.now = Math.max(this.now, untilMs);
  }

  #push(event: SimEvent): void {
    const heap = this.#heap;
    let i = heap.push(event) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(event, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = event;
  }

  #pop(): SimEvent {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
        if (!before(heap[child]!, last)) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

function noop(): void {}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}

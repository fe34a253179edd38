import { runtime, type TimerHandle } from "../runtime/mod.ts";

/**
 * A timer that fires this much past its deadline says this process was stalled (short of CPU, a long synchronous
 * task, a GC pause), not that the peer is silent.
 */
export const LATE_TIMER_MS = 50;

/**
 * A request's timeout that allows for this process's own stalls. Stalled past the deadline, the process may hold
 * the answer unread in its socket: a resumed event loop can run expired timers before it reads what arrived
 * meanwhile. Reading that backlog takes far less than the stall that made it, so a timer that fires late waits as
 * long again (once, at most `timeoutMs`) before `onTimeout` calls the peer silent; `onLate` hears how late it fired.
 *
 * @returns the cancel function
 */
export function stallAwareTimeout(
  timeoutMs: number,
  onTimeout: () => void,
  onLate: (lateMs: number) => void = () => {},
): () => void {
  const deadline = runtime.monotonic() + timeoutMs;
  let graced = false;
  let timer: TimerHandle | undefined;
  const expire = () => {
    const late = runtime.monotonic() - deadline;
    if (!graced && late > LATE_TIMER_MS) {
      graced = true;
      onLate(late);
      timer = runtime.setTimeout(expire, Math.min(late, timeoutMs));
      return;
    }
    onTimeout();
  };
  timer = runtime.setTimeout(expire, timeoutMs);
  return () => runtime.clearTimeout(timer);
}

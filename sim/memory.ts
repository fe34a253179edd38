import process from "node:process";

/** CPU seconds this process has used so far (user and system, all threads: the collector's included). */
export function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/**
 * The memory a run holds: the live JavaScript heap after a full collection. The process's RSS says little of it: V8
 * grows its heap lazily up to the old-space limit, so RSS counts garbage not yet collected and grows with the events
 * run, not with the nodes. Exact only when the collector is exposed (`--expose-gc`, as `deno task sim` runs);
 * otherwise the heap in use, garbage included, and the figure says so.
 */
export interface HeapReading {
  bytes: number;
  /** Taken after a full collection. */
  collected: boolean;
}

export function liveHeap(): HeapReading {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  return { bytes: Deno.memoryUsage().heapUsed, collected: gc !== undefined };
}

/** The report's memory figures: the live heap at the end, and per simulated node what the run added to it. */
export function memoryFigures(
  start: HeapReading,
  nodes: number,
): { heap_mb: number; kb_per_node: number; heap_collected: boolean } {
  const end = liveHeap();
  return {
    heap_mb: Math.round(end.bytes / 2 ** 20),
    kb_per_node: Math.round((end.bytes - start.bytes) / Math.max(1, nodes) / 102.4) / 10,
    heap_collected: start.collected && end.collected,
  };
}

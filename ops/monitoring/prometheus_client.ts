/** One sample of an instant-query answer of the Prometheus HTTP API. */
export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

/**
 * Runs an instant PromQL query against a Prometheus at `base` (`http://127.0.0.1:9090`).
 * @throws {Error} when Prometheus answers with an error
 */
export async function queryPrometheus(base: string, query: string, signal?: AbortSignal): Promise<PromSample[]> {
  const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(query)}`, { signal });
  const body = await response.json();
  if (body.status !== "success") throw new Error(`Prometheus refused ${query}: ${body.error ?? response.status}`);
  return (body.data.result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((r) => ({
    metric: r.metric,
    value: Number(r.value[1]),
  }));
}

import { Hono } from "hono";
import type { CqkdMetrics } from "../../core/metrics/mod.ts";

/** `GET /metrics`: the process's Prometheus metrics in the text exposition format. */
export function metricsRoutes(metrics: CqkdMetrics) {
  return new Hono()
    .get("/", async (c) => c.body(await metrics.render(), 200, { "content-type": metrics.contentType }));
}

import { Router } from 'express';
import type { ServingMetrics } from '../metrics.js';

/**
 * GET /metrics in Prometheus text format. In cluster mode `collect` asks the primary for the sum
 * over all workers, so a scrape through the shared port sees the whole server, not one worker.
 */
export function metricsRoutes(
  metrics: ServingMetrics,
  collect?: () => Promise<{ contentType: string; body: string }>,
): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    const { contentType, body } = await (collect ?? (() => metrics.text()))();
    res.set('content-type', contentType).set('cache-control', 'no-store').send(body);
  });
  return router;
}

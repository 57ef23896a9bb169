import { Router } from 'express';
import type { ModelHolder } from '../model-holder.js';

/** Liveness (the process answers) and readiness (a model is loaded and can score). */
export function healthRoutes(holder: ModelHolder): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.set('cache-control', 'no-store').json({ ok: true });
  });
  router.get('/readyz', (_req, res) => {
    const m = holder.current;
    res.set('cache-control', 'no-store');
    // Still ready while the registry is unreachable: the held model answers; say so for operators.
    const down = holder.registryUnreachable;
    const registry = down
      ? { reachable: false, since: down.since, error: down.message, following: holder.following }
      : { reachable: true, following: holder.following };
    if (!m)
      res
        .status(503)
        .json({ ready: false, reason: holder.notReadyReason, last_load_error: holder.lastLoadError, registry });
    else
      res.json({
        ready: true,
        model_name: m.modelName,
        model_version: m.version,
        last_load_error: holder.lastLoadError,
        registry,
      });
  });
  return router;
}

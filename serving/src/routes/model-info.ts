import { Router } from 'express';
import { RfmError } from '@rfm/shared';
import type { LoadedModel, ModelHolder } from '../model-holder.js';
import { parseSelector } from './selector.js';

function describe(m: LoadedModel, holder: ModelHolder) {
  const a = m.artifact;
  return {
    model_name: m.modelName,
    model_version: m.version,
    active: holder.current === m,
    follows_alias: holder.alias,
    sha256: m.sha256,
    k: a.k,
    loaded_at: m.loadedAt,
    segments: [...a.segments]
      .sort((x, y) => x.cluster - y.cluster)
      .map((s) => ({
        cluster: s.cluster,
        key: s.key,
        name: s.name,
        description: s.description,
        action: s.action,
        size: s.size,
        scores: s.scores,
        centroid: s.centroid,
        mean: s.mean,
      })),
    metrics: a.metrics,
    params: a.params,
    data: a.data,
    preprocessing: a.preprocessing,
    training: { backend: a.training.backend, trained_at: a.training.trained_at, code_version: a.training.code_version },
    last_load_error: holder.lastLoadError,
  };
}

/** GET /api/v1/model: what the server answers with (or a pinned version), for people and dashboards. */
export function modelInfoRoutes(holder: ModelHolder): Router {
  const router = Router();
  router.get('/model', async (req, res) => {
    const selector = parseSelector(req.query);
    if (selector.version === undefined && selector.alias === undefined && !holder.current)
      throw new RfmError('MODEL_UNAVAILABLE', `no model is active: ${holder.notReadyReason}`, {
        details: { last_load_error: holder.lastLoadError },
      });
    const m = await holder.select(selector);
    res.set('x-model-version', String(m.version)).set('cache-control', 'no-store').json(describe(m, holder));
  });
  return router;
}

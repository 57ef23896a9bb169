import { Router } from 'express';
import { parsePredictRequest } from '@rfm/shared';
import { requireJsonBody } from '../middleware/json-body.js';
import { withModel, type ModelHolder } from '../model-holder.js';
import type { ServingMetrics } from '../metrics.js';
import { parseSelector } from './selector.js';
import { scoreInstances } from '../scoring.js';

/** 10,000 customers with long ids fit well within this; anything bigger is not a valid batch. */
export const JSON_BODY_LIMIT = '2mb';
export const JSON_BODY_BYTES = 2 * 1024 * 1024;

/** POST /api/v1/predict: one customer or a batch, against the active (or a pinned) model. */
export function predictRoutes(holder: ModelHolder, metrics?: ServingMetrics): Router {
  const router = Router();
  router.post(
    '/predict',
    ...requireJsonBody('a JSON object {cid, recency, frequency, monetary} or {instances: [...]}', JSON_BODY_LIMIT),
    (req, res, next) => {
      const selector = parseSelector(req.query);
      const { instances } = parsePredictRequest(req.body);
      // captured once: a swap mid-request does not affect it; the active model comes synchronously
      withModel(holder, selector, next, (model) => {
        const body = scoreInstances(model, instances, metrics);
        res.set('x-model-version', String(model.version)).set('cache-control', 'no-store').json(body);
      });
    },
  );
  return router;
}

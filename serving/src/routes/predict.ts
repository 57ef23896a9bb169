import express, { Router, type Request, type RequestHandler } from 'express';
import { parsePredictRequest, RfmError, type Prediction, type PredictResponse } from '@rfm/shared';
import { withModel, type ModelHolder } from '../model-holder.js';
import type { ServingMetrics } from '../metrics.js';
import { parseSelector } from './selector.js';

const JSON_TYPES = ['application/json', 'application/*+json'];
/** 10,000 customers with long ids fit well within this; anything bigger is not a valid batch. */
export const JSON_BODY_LIMIT = '2mb';
export const JSON_BODY_BYTES = 2 * 1024 * 1024;

export function hasBody(req: Request): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

const PREDICT_HINT = 'a JSON object {cid, recency, frequency, monetary} or {instances: [...]}';

/** Says what is wrong before the JSON parser silently skips a body it does not recognise. */
export function requireJsonBody(hint = PREDICT_HINT): RequestHandler {
  return (req, _res, next) => {
    if (!hasBody(req))
      return next(
        new RfmError('INVALID_INPUT', `request body is empty: send ${hint}`, {
          issues: [{ path: '(body)', message: 'empty' }],
        }),
      );
    if (!req.is(JSON_TYPES))
      return next(
        new RfmError(
          'UNSUPPORTED',
          `content-type must be application/json, got ${(req.get('content-type') ?? 'none').slice(0, 100)}`,
        ),
      );
    next();
  };
}

/** POST /api/v1/predict: one customer or a batch, against the active (or a pinned) model. */
export function predictRoutes(holder: ModelHolder, metrics?: ServingMetrics): Router {
  const router = Router();
  router.post(
    '/predict',
    requireJsonBody(),
    express.json({ limit: JSON_BODY_LIMIT, type: JSON_TYPES, strict: true }),
    (req, res, next) => {
      const selector = parseSelector(req.query);
      const { instances } = parsePredictRequest(req.body);
      // captured once: a swap mid-request does not affect it; the active model comes synchronously
      withModel(holder, selector, next, (model) => {
        const predictions: Prediction[] = new Array(instances.length);
        const tally = new Uint32Array(model.predictor.k);
        for (let i = 0; i < instances.length; i++) {
          const c = instances[i]!;
          const cluster = model.predictor.predict(c.recency, c.frequency, c.monetary);
          tally[cluster]!++;
          predictions[i] = { cid: c.cid, cluster, segment: model.segmentByCluster[cluster]!.name };
        }
        metrics?.predictedTally(model, tally);
        const body: PredictResponse = { model_name: model.modelName, model_version: model.version, predictions };
        res.set('x-model-version', String(model.version)).set('cache-control', 'no-store').json(body);
      });
    },
  );
  return router;
}

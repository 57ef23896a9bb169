import { Router } from 'express';
import {
  CustomerFeaturesSchema,
  parseOrThrow,
  rfmFromTransactions,
  transactionsCustomer,
  TransactionsRequestSchema,
  type TransactionsResponse,
} from '@rfm/shared';
import { withModel, type ModelHolder } from '../model-holder.js';
import type { ServingMetrics } from '../metrics.js';
import { requireJsonBody } from '../middleware/json-body.js';
import { parseSelector } from './selector.js';
import { scoreCustomer } from '../scoring.js';

/** 20,000 transaction lines with the export's long column names fit well within this. */
export const TRANSACTIONS_BODY_LIMIT = '4mb';

/**
 * POST /api/v1/predict/transactions — one customer's raw transaction lines (the export's columns)
 * → their recency, frequency and monetary, computed by the same rules as training
 * (`rfmFromTransactions` in @rfm/shared, checked against training's DuckDB path), and their segment.
 */
export function predictTransactionsRoutes(holder: ModelHolder, metrics?: ServingMetrics): Router {
  const router = Router();
  router.post(
    '/predict/transactions',
    ...requireJsonBody(
      'a JSON object {cid?, as_of?, transactions: [{InvoiceNo, InvoiceDate, Quantity, UnitPrice}, …]}',
      TRANSACTIONS_BODY_LIMIT,
    ),
    (req, res, next) => {
      const selector = parseSelector(req.query);
      const body = parseOrThrow(TransactionsRequestSchema, req.body, 'request');
      const rfm = rfmFromTransactions(body.transactions, body.as_of);
      // the computed customer must be within the same limits as one sent directly
      const c = parseOrThrow(
        CustomerFeaturesSchema,
        { recency: rfm.recency, frequency: rfm.frequency, monetary: rfm.monetary },
        'customer computed from the transactions',
      );
      withModel(holder, selector, next, (model) => {
        const { cluster, segment, outlier } = scoreCustomer(model, c, metrics);
        const answer: TransactionsResponse = {
          model_name: model.modelName,
          model_version: model.version,
          cid: transactionsCustomer(body),
          cluster,
          segment: segment.name,
          outlier,
          ...rfm,
        };
        res.set('x-model-version', String(model.version)).set('cache-control', 'no-store').json(answer);
      });
    },
  );
  return router;
}

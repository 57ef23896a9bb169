import { Router, type Request } from 'express';
import { z } from 'zod';
import { CustomerIndexCache, eraseFromRuns, type CustomerLookup } from '@rfm/runs';
import { CustomerIdSchema, parseOrThrow, RfmError, type Config } from '@rfm/shared';
import { optionalJsonBody } from '../middleware/json-body.js';
import { requireRunsAccess } from '../middleware/runs-auth.js';
import type { Logger } from '../logger.js';
import type { RegistryWriter } from '../registry-writer.js';
import { sweepKeptUploads } from '../runs/run-files.js';
import { byOf, NameParam } from './admin.js';

/**
 * One customer for a CRM (GET /api/v1/customers/:cid, read token) and the erasure of one
 * (POST /api/v1/customers/:cid/forget, admin token). Lookups answer from an index of the model's
 * latest saved run (@rfm/runs CustomerIndex), checked against the registry's runs-state token on
 * every request, so a run saved, deleted or rewritten by an erasure in any process shows at once.
 * Messages never repeat the customer id (error logs are not the place for personal data).
 */
export const CustomerIdParam = CustomerIdSchema;
export const LookupQuery = z.strictObject({ model: NameParam.optional() });
export const ForgetBody = z.strictObject({
  reason: z.string().max(500, { error: 'reason must be at most 500 characters' }).optional(),
  actor: z.string().min(1).max(128, { error: 'actor must be at most 128 characters' }).optional(),
});

export function lookupJson(c: CustomerLookup): Record<string, unknown> {
  return {
    customer: c.customer,
    model: c.model,
    segment: c.segment,
    segment_key: c.segmentKey,
    cluster: c.cluster,
    previous_segment: c.previousSegment,
    segment_since: c.segmentSince,
    recency: c.recency,
    frequency: c.frequency,
    monetary: c.monetary,
    r_score: c.rScore,
    f_score: c.fScore,
    m_score: c.mScore,
    outlier: c.outlier,
    run: {
      id: c.run.id,
      version: c.run.version,
      snapshot_date: c.run.snapshotDate,
      created_at: c.run.createdAt,
      export_name: c.run.exportName,
    },
  };
}

export function customerRoutes(d: {
  writer: RegistryWriter;
  config: Config;
  cache?: CustomerIndexCache;
  /** the scoring runs' private folder, whose kept uploads (raw exports) an erasure deletes */
  runsBase?: string | undefined;
}): Router {
  const r = Router();
  const cache = d.cache ?? new CustomerIndexCache(() => d.writer.reader());
  const read = requireRunsAccess(d.config, 'read');
  const write = requireRunsAccess(d.config, 'write');
  const cidOf = (req: Request) => parseOrThrow(CustomerIdParam, req.params.cid, 'customer id', 'cid');

  r.get('/customers/:cid', read, async (req, res) => {
    const cid = cidOf(req);
    const q = parseOrThrow(LookupQuery, req.query, 'query');
    const model = q.model ?? d.config.modelName;
    const idx = await cache.get(model);
    if (!idx.run)
      throw new RfmError(
        'NOT_FOUND',
        `model "${model}" has no saved run yet: score an export with save to look customers up`,
        {
          details: { model },
        },
      );
    const found = idx.find(cid);
    if (!found)
      throw new RfmError(
        'NOT_FOUND',
        `that customer is not in the latest saved run of model "${model}" (${idx.run.id}, snapshot ${idx.run.snapshotDate}, ${idx.size} customers)`,
        { details: { model, run: idx.run.id } },
      );
    res.set('cache-control', 'no-store').json(lookupJson(found));
  });

  // the body parser only where a body is read (a lookup's GET skips it), before the guard as before
  r.post('/customers/:cid/forget', ...optionalJsonBody('16kb'), write, async (req, res) => {
    const cid = cidOf(req);
    const b = parseOrThrow(ForgetBody, req.body ?? {}, 'request body', 'body');
    const reg = await d.writer.get();
    // the event names the person the token belongs to (api:NAME), never a typed actor or an address
    const out = await reg.eraseCustomer(cid, eraseFromRuns(cid), byOf(res, b));
    cache.clear(); // the token moved too; this makes the next lookup here not even wait for a read
    // uploads kept for retraining (RFM_RUN_UPLOAD_KEEP_HOURS) are raw exports that may hold the person,
    // and training from one would bring them back: all are deleted (which hold the person is unknowable cheaply)
    if (d.runsBase) {
      const dropped = sweepKeptUploads(d.runsBase, 0).length;
      if (dropped) (res.locals.log as Logger | undefined)?.info({ dropped }, 'erasure: deleted the kept uploads');
    }
    res.set('cache-control', 'no-store').json({
      erased: out.changed,
      erased_before: out.erasedBefore,
      subject: out.subject,
      runs: out.runs,
      versions: out.versions,
      storage: out.storage,
    });
  });
  return r;
}

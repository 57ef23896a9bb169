import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { parseOrThrow, RfmError } from '@rfm/shared';
import { PRODUCTION } from '@rfm/registry';
import type { RegistryWriter } from '../registry-writer.js';
import { requireAdmin } from '../middleware/admin-auth.js';
import { hasBody } from './predict.js';

/**
 * Model lifecycle over HTTP, mirroring `rfm models …` with the same registry calls, so policy
 * checks and error messages are identical. Reads are open; every write needs the bearer token.
 */
export const NameParam = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'model name: letters, digits, . _ - (1–64)' });
export const VersionParam = z
  .string()
  .regex(/^[1-9][0-9]{0,8}$/, { error: 'version must be a whole number of 1 or more' })
  .transform(Number);
export const AliasParam = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,31}$/, { error: 'alias: a lowercase letter then up to 31 of a-z, 0-9, _ or -' });
const Reason = z.string().max(500, { error: 'reason must be at most 500 characters' }).optional();
const Actor = z.string().min(1).max(128, { error: 'actor must be at most 128 characters' }).optional();

export const PromoteBody = z.strictObject({
  reason: Reason,
  force: z.boolean({ error: 'force must be true or false' }).optional(),
  actor: Actor,
});
export const RollbackBody = z.strictObject({ reason: Reason, alias: AliasParam.optional(), actor: Actor });
export const AliasBody = z.strictObject({
  version: z.number({ error: 'version must be a number' }).int().positive(),
  reason: Reason,
  actor: Actor,
});
export const ReasonBody = z.strictObject({ reason: Reason, actor: Actor });
export const RelabelBody = z.strictObject({
  cluster: z.number({ error: 'cluster must be a number' }).int().nonnegative(),
  name: z.string().min(1).max(64),
  reason: Reason,
  actor: Actor,
});

const JSON_TYPES = ['application/json', 'application/*+json'];

function body<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  return parseOrThrow(schema, req.body ?? {}, 'request body', 'body');
}
const param = <S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> =>
  parseOrThrow(schema, value, what, what);
const actorOf = (req: Request, b: { actor?: string | undefined }) => b.actor ?? `api:${req.ip ?? 'unknown'}`;

export function adminRoutes(writer: RegistryWriter, adminToken: string | undefined): Router {
  const r = Router();
  // A body is optional (rollback needs none), but one that is sent must be JSON: another type would
  // be skipped by the parser and the request carried out without its reason, force or version.
  r.use('/models', (req, _res, next) =>
    next(
      hasBody(req) && !req.is(JSON_TYPES)
        ? new RfmError(
            'UNSUPPORTED',
            `content-type must be application/json, got ${(req.get('content-type') ?? 'none').slice(0, 100)}`,
          )
        : undefined,
    ),
  );
  r.use('/models', express.json({ limit: '64kb', type: JSON_TYPES }));
  const auth = requireAdmin(adminToken);
  const reg = () => writer.get();
  const rd = () => writer.reader(); // public reads never open the registry read-write

  r.get('/models', async (_req, res) => {
    const reader = await rd();
    const models = [];
    for (const m of await reader.models())
      models.push({
        ...m,
        versions: (await reader.list(m.name)).map((v) => ({
          version: v.version,
          status: v.status,
          aliases: v.aliases,
          created_at: v.createdAt,
          created_by: v.createdBy,
          k: v.k,
          silhouette: v.metrics.silhouette,
          inertia: v.metrics.inertia,
          customers: v.data.customers,
          source: v.data.source.file,
        })),
      });
    res.json({ models });
  });

  r.get('/models/:name/versions/:v', async (req, res) => {
    const name = param(NameParam, req.params.name, 'name');
    const v = param(VersionParam, req.params.v, 'version');
    const reader = await rd();
    const rec = await reader.get(name, v);
    const model = await reader.loadModel(name, v);
    res.json({
      ...rec,
      tags: await reader.tags(name, v),
      segments: model.artifact.segments,
      policy_check: await reader.checkPolicy(name, v),
    });
  });

  r.get('/models/:name/history', async (req, res) => {
    const name = param(NameParam, req.params.name, 'name');
    const alias = req.query.alias === undefined ? undefined : param(AliasParam, req.query.alias, 'alias');
    res.json({ model: name, events: await (await rd()).history(name, alias ? { alias } : {}) });
  });

  r.get('/models/:name/compare', async (req, res) => {
    const name = param(NameParam, req.params.name, 'name');
    res.json(
      await (await rd()).compare(name, param(VersionParam, req.query.a, 'a'), param(VersionParam, req.query.b, 'b')),
    );
  });

  r.post('/models/:name/versions/:v/promote', auth, async (req, res) => {
    const b = body(PromoteBody, req);
    const move = await (await reg()).promote(
      param(NameParam, req.params.name, 'name'),
      param(VersionParam, req.params.v, 'version'),
      { actor: actorOf(req, b), reason: b.reason ?? '', force: b.force === true },
    );
    res.json(move);
  });

  r.post('/models/:name/rollback', auth, async (req, res) => {
    const b = body(RollbackBody, req);
    res.json(
      await (await reg()).rollback(param(NameParam, req.params.name, 'name'), {
        actor: actorOf(req, b),
        reason: b.reason ?? '',
        alias: b.alias ?? PRODUCTION,
      }),
    );
  });

  r.put('/models/:name/aliases/:alias', auth, async (req, res) => {
    const b = body(AliasBody, req);
    const alias = param(AliasParam, req.params.alias, 'alias');
    const name = param(NameParam, req.params.name, 'name');
    const move = await (await reg()).setAlias(name, alias, b.version, {
      actor: actorOf(req, b),
      reason: b.reason ?? '',
    }); // production: policy-checked promote
    res.json(move);
  });

  r.delete('/models/:name/aliases/:alias', auth, async (req, res) => {
    const b = body(ReasonBody, req);
    res.json(
      await (await reg()).deleteAlias(
        param(NameParam, req.params.name, 'name'),
        param(AliasParam, req.params.alias, 'alias'),
        {
          actor: actorOf(req, b),
          reason: b.reason ?? '',
        },
      ),
    );
  });

  r.post('/models/:name/versions/:v/relabel', auth, async (req, res) => {
    const b = body(RelabelBody, req);
    res.json(
      await (await reg()).relabel(
        param(NameParam, req.params.name, 'name'),
        param(VersionParam, req.params.v, 'version'),
        b.cluster,
        b.name,
        { actor: actorOf(req, b), reason: b.reason ?? '' },
      ),
    );
  });

  r.post('/models/:name/versions/:v/archive', auth, async (req, res) => {
    const b = body(ReasonBody, req);
    const rec = await (await reg()).archive(
      param(NameParam, req.params.name, 'name'),
      param(VersionParam, req.params.v, 'version'),
      {
        actor: actorOf(req, b),
        reason: b.reason ?? '',
      },
    );
    res.json({ version: rec.version, status: rec.status });
  });

  return r;
}

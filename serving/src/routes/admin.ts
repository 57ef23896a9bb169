import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { ALIAS_PATTERN, isRfmError, MODEL_NAME_PATTERN, parseOrThrow, RfmError, VERSION_PATTERN } from '@rfm/shared';
import { PRODUCTION, versionSummary } from '@rfm/registry';
import type { RegistryWriter } from '../registry-writer.js';
import { requireAdmin } from '../middleware/admin-auth.js';
import { type AuthSource, personOf } from '../middleware/people.js';
import { optionalJsonBody } from '../middleware/json-body.js';
import { COMPARE_RETRY_AFTER_S, type CompareService } from '../compare-service.js';

/**
 * Model lifecycle over HTTP, mirroring `rfm models …` with the same registry calls, so policy
 * checks and error messages are identical. Reads are open; every write needs the bearer token.
 */
export const NameParam = z.string().regex(MODEL_NAME_PATTERN, { error: 'model name: letters, digits, . _ - (1–64)' });
export const VersionParam = z
  .string()
  .regex(VERSION_PATTERN, { error: 'version must be a whole number of 1 or more' })
  .transform(Number);
export const AliasParam = z
  .string()
  .regex(ALIAS_PATTERN, { error: 'alias: a lowercase letter then up to 31 of a-z, 0-9, _ or -' });
const ReasonText = z.string().max(500, { error: 'reason must be at most 500 characters' });
const Reason = ReasonText.optional();
/** Accepted for older clients only when it is the token's own person: the token decides who acted. */
const Actor = z
  .string()
  .min(1)
  .max(128, { error: 'actor must be at most 128 characters' })
  .describe(
    'optional; if given it must be the name of the token’s person (the audit trail records api:NAME from the token)',
  )
  .optional();

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

/**
 * The same rules for the web forms, whose fields all arrive as text: a reason is required there
 * (the audit trail is what the forms are for), and the cluster is a number in text.
 */
export const FormReason = z
  .string({ error: 'please give a reason: it is kept in the audit trail' })
  .trim()
  .min(1, { error: 'please give a reason: it is kept in the audit trail' })
  .pipe(ReasonText);
export const RelabelForm = z.object({
  cluster: z
    .string({ error: 'choose a segment to rename' })
    .regex(/^[0-9]{1,2}$/, { error: 'choose a segment to rename' })
    .pipe(z.coerce.number())
    .pipe(RelabelBody.shape.cluster),
  name: z.string().default(''),
  reason: FormReason,
});

function body<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  return parseOrThrow(schema, req.body ?? {}, 'request body', 'body');
}
const param = <S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> =>
  parseOrThrow(schema, value, what, what);
/**
 * Who did it and why, for the registry's event: the person the bearer token belongs to (`api:NAME`).
 * A body `actor` naming someone else is refused rather than recorded or silently dropped.
 */
export const byOf = (res: Response, b: { actor?: string | undefined; reason?: string | undefined }) => {
  const name = personOf(res).name;
  if (b.actor !== undefined && b.actor !== name)
    throw new RfmError(
      'INVALID_INPUT',
      `actor: the token belongs to ${name}; leave actor out (it is taken from the token)`,
      {
        issues: [{ path: 'actor', message: `the token belongs to ${name}`, found: b.actor.slice(0, 80) }],
      },
    );
  return { actor: `api:${name}`, reason: b.reason ?? '' };
};

export function adminRoutes(writer: RegistryWriter, people: AuthSource, compare: CompareService): Router {
  const r = Router();
  r.use('/models', ...optionalJsonBody('64kb'));
  const auth = requireAdmin(people);
  const reg = () => writer.get();
  const rd = () => writer.reader(); // public reads never open the registry read-write

  r.get('/models', async (_req, res) => {
    const reader = await rd();
    const models = [];
    for (const m of await reader.models())
      models.push({
        ...m,
        versions: (await reader.list(m.name)).map(versionSummary),
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

  // public (no customer-level data) and heavy: computed off the event loop, cached (compare-service.ts)
  r.get('/models/:name/compare', async (req, res) => {
    const name = param(NameParam, req.params.name, 'name');
    const a = param(VersionParam, req.query.a, 'a');
    const b = param(VersionParam, req.query.b, 'b');
    try {
      res.type('json').send(await compare.compare(name, a, b));
    } catch (e) {
      if (isRfmError(e) && e.code === 'MODEL_UNAVAILABLE') res.set('retry-after', String(COMPARE_RETRY_AFTER_S));
      throw e;
    }
  });

  r.post('/models/:name/versions/:v/promote', auth, async (req, res) => {
    const b = body(PromoteBody, req);
    const move = await (await reg()).promote(
      param(NameParam, req.params.name, 'name'),
      param(VersionParam, req.params.v, 'version'),
      { ...byOf(res, b), force: b.force === true },
    );
    res.json(move);
  });

  r.post('/models/:name/rollback', auth, async (req, res) => {
    const b = body(RollbackBody, req);
    res.json(
      await (await reg()).rollback(param(NameParam, req.params.name, 'name'), {
        ...byOf(res, b),
        alias: b.alias ?? PRODUCTION,
      }),
    );
  });

  r.put('/models/:name/aliases/:alias', auth, async (req, res) => {
    const b = body(AliasBody, req);
    const alias = param(AliasParam, req.params.alias, 'alias');
    const name = param(NameParam, req.params.name, 'name');
    const move = await (await reg()).setAlias(name, alias, b.version, byOf(res, b)); // production: policy-checked promote
    res.json(move);
  });

  r.delete('/models/:name/aliases/:alias', auth, async (req, res) => {
    const b = body(ReasonBody, req);
    res.json(
      await (await reg()).deleteAlias(
        param(NameParam, req.params.name, 'name'),
        param(AliasParam, req.params.alias, 'alias'),
        byOf(res, b),
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
        byOf(res, b),
      ),
    );
  });

  r.post('/models/:name/versions/:v/archive', auth, async (req, res) => {
    const b = body(ReasonBody, req);
    const rec = await (await reg()).archive(
      param(NameParam, req.params.name, 'name'),
      param(VersionParam, req.params.v, 'version'),
      byOf(res, b),
    );
    res.json({ version: rec.version, status: rec.status });
  });

  return r;
}

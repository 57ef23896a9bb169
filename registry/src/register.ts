import { ARTIFACT_FORMAT, ArtifactV1Schema, RfmError, serializeArtifact, zodIssues } from '@rfm/shared';
import { lockModel, moveAlias } from './aliases.js';
import { recordEvent } from './events.js';
import { encodeFeatures, FEATURES_ENCODING } from './features-blob.js';
import { checkName, checkTag, now, PRODUCTION } from './names.js';
import type { Db, Store } from './store/store.js';
import type { RegisterInput, RegisterResult } from './types.js';

/** Everything a registration writes, computed before the transaction so the write lock is held briefly. */
export interface PreparedRegistration {
  input: RegisterInput;
  k: number;
  bytes: Buffer;
  sha256: string;
  features: { customers: number; bytes: Buffer } | null;
  report: Buffer | null;
  tags: [string, string][];
  json: { params: string; metrics: string; data: string; training: string };
}

/** Validate and serialise (artifact, gzip of the training customers, report) outside any lock. */
export function prepareRegistration(input: RegisterInput): PreparedRegistration {
  checkName('model', input.modelName);
  const parsed = ArtifactV1Schema.safeParse(input.artifact);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error, 'artifact');
    throw new RfmError(
      'INVALID_INPUT',
      `refusing to register an invalid artifact: ${issues[0]?.path}: ${issues[0]?.message}`,
      {
        issues,
      },
    );
  }
  const a = parsed.data;
  const { bytes, sha256 } = serializeArtifact(a);
  return {
    input,
    k: a.k,
    bytes: Buffer.from(bytes),
    sha256,
    features: input.features ? { customers: input.features.cids.length, bytes: encodeFeatures(input.features) } : null,
    report: input.report ? Buffer.from(input.report, 'utf8') : null,
    tags: Object.entries(input.tags ?? {}).map(([k, v]) => [checkTag(k), String(v)]),
    json: {
      params: JSON.stringify(a.params),
      metrics: JSON.stringify(a.metrics),
      data: JSON.stringify(a.data),
      training: JSON.stringify(a.training),
    },
  };
}

/**
 * Write a prepared registration as the model's next version, inside the caller's transaction.
 * The number comes from the counter kept with the model (`models.last_version`), bumped under
 * the model's lock: numbers only go up, so deleting the newest version never frees its number for
 * a different model that history and rollback would confuse with it. The first version of a model
 * becomes production at once; later ones only with `promote`.
 */
export async function registerPrepared(
  store: Store,
  trx: Db,
  p: PreparedRegistration,
): Promise<RegisterResult & { versionId: number }> {
  const { input } = p;
  const at = now();
  await trx
    .insertInto('models')
    .values({ name: input.modelName, created_at: at })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const model = await lockModel(store, trx, input.modelName);
  const next = model.last_version + 1;
  await trx.updateTable('models').set({ last_version: next }).where('id', '=', model.id).execute();
  const { id: versionId } = await trx
    .insertInto('versions')
    .values({
      model_id: model.id,
      version: next,
      created_at: at,
      created_by: input.actor,
      description: input.description ?? '',
      k: p.k,
      params_json: p.json.params,
      metrics_json: p.json.metrics,
      data_json: p.json.data,
      training_json: p.json.training,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('artifacts')
    .values({ version_id: versionId, format: ARTIFACT_FORMAT, sha256: p.sha256, size: p.bytes.length, bytes: p.bytes })
    .execute();
  if (p.features)
    await trx
      .insertInto('features')
      .values({
        version_id: versionId,
        customers: p.features.customers,
        encoding: FEATURES_ENCODING,
        bytes: p.features.bytes,
      })
      .execute();
  if (p.report)
    await trx.insertInto('reports').values({ version_id: versionId, format: 'html', bytes: p.report }).execute();
  if (p.tags.length)
    await trx
      .insertInto('tags')
      .values(p.tags.map(([key, value]) => ({ version_id: versionId, key, value })))
      .execute();
  await recordEvent(trx, model.id, {
    actor: input.actor,
    action: input.importedFrom ? 'import' : 'register',
    alias: null,
    from: null,
    to: next,
    reason: input.reason ?? '',
    details: input.importedFrom ? { ...input.importedFrom, sha256: p.sha256 } : { sha256: p.sha256 },
  });
  const hasProd = await trx
    .selectFrom('aliases')
    .select('alias')
    .where('model_id', '=', model.id)
    .where('alias', '=', PRODUCTION)
    .executeTakeFirst();
  const aliases: string[] = [];
  if ((!hasProd && !input.neverPromote) || input.promote) {
    await moveAlias(store, trx, { id: model.id, name: input.modelName }, PRODUCTION, next, {
      actor: input.actor,
      reason: input.reason ?? (hasProd ? 'promoted at registration (--promote)' : 'first version of this model'),
    });
    aliases.push(PRODUCTION);
  }
  return { modelName: input.modelName, version: next, sha256: p.sha256, aliases, versionId };
}

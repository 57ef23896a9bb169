import { RfmError } from '@rfm/shared';
import { loadVerifiedArtifact } from './artifacts.js';
import { recordEvent } from './events.js';
import { now } from './names.js';
import { getVersion, versionId } from './records.js';
import type { Db, Store } from './store/store.js';
import type { ActorReason, AliasMove } from './types.js';

/**
 * Lock a model's row for the rest of the transaction (PostgreSQL `FOR UPDATE`): every write that
 * numbers versions or moves an alias takes it first, so two of them on one model run one after
 * the other. SQLite needs nothing: BEGIN IMMEDIATE already lets one writer in at a time.
 */
export async function lockModel(store: Store, trx: Db, name: string): Promise<{ id: number; last_version: number }> {
  let q = trx.selectFrom('models').select(['id', 'last_version']).where('name', '=', name);
  if (store.kind === 'postgres') q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw new RfmError('NOT_FOUND', `no model named "${name}" in the registry`);
  return row;
}

/**
 * Check that a version can be served before an alias points at it: it exists, is not archived,
 * and its stored artifact matches its sha256 and the schema (ARTIFACT_CORRUPT otherwise). A
 * damaged artifact moved into production would be refused by running servers but would take
 * down every server started afterwards.
 */
export async function checkServable(trx: Db, modelName: string, version: number): Promise<void> {
  const rec = await getVersion(trx, modelName, version);
  if (rec.status === 'archived')
    throw new RfmError('CONFLICT', `version ${version} of "${modelName}" is archived; it cannot hold an alias`);
  await loadVerifiedArtifact(trx, modelName, version);
}

/** Point an alias at a version and record the move; inside a write transaction holding the model lock. */
export async function moveAlias(
  store: Store,
  trx: Db,
  model: { id: number; name: string },
  alias: string,
  version: number,
  by: ActorReason,
  action = 'alias_set',
  ref: number | null = null,
  details?: unknown,
): Promise<AliasMove> {
  const vid = await versionId(trx, model.name, version);
  const cur = await trx
    .selectFrom('aliases as al')
    .innerJoin('versions as v', 'v.id', 'al.version_id')
    .select('v.version')
    .where('al.model_id', '=', model.id)
    .where('al.alias', '=', alias)
    .executeTakeFirst();
  const at = now();
  await trx
    .insertInto('aliases')
    .values({ model_id: model.id, alias, version_id: vid, updated_at: at })
    .onConflict((oc) =>
      oc.columns(['model_id', 'alias']).doUpdateSet((eb) => ({
        version_id: eb.ref('excluded.version_id'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
  const from = cur?.version ?? null;
  const eventId = await recordEvent(trx, model.id, {
    actor: by.actor,
    action,
    alias,
    from,
    to: version,
    reason: by.reason ?? '',
    ref,
    details,
  });
  // Same transaction as the move: listeners hear of it exactly when it is committed, never before.
  await store.notify(trx, JSON.stringify({ model: model.name, alias, version }));
  return { modelName: model.name, alias, from, to: version, eventId };
}

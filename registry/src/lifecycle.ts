import { RfmError } from '@rfm/shared';
import { loadModel } from './artifacts.js';
import { lockModel } from './aliases.js';
import { recordEvent } from './events.js';
import { checkSegmentName, checkTag, PRODUCTION } from './names.js';
import { getVersion, listVersions, resolveAlias, tagsOf, versionId } from './records.js';
import type { Db, Store } from './store/store.js';
import type { ActorReason, VersionRecord } from './types.js';

/**
 * A version's life after registration: archive / unarchive / delete / gc, description, tags,
 * relabels, removing a non-production alias. Each runs inside the caller's write transaction and
 * records its event there.
 */

async function refuseIfAliased(db: Db, modelName: string, version: number, what: string): Promise<VersionRecord> {
  const rec = await getVersion(db, modelName, version);
  if (rec.aliases.length)
    throw new RfmError(
      'CONFLICT',
      `v${version} of "${modelName}" holds alias ${rec.aliases.map((a) => `"${a}"`).join(', ')}; move the alias before you ${what} it`,
    );
  return rec;
}

/**
 * Archive moves a version out of the candidates (refused while it holds an alias); unarchive brings
 * it back. Both are no-ops when the version already has that status, and record one event otherwise.
 */
async function setArchived(
  archived: boolean,
  ...[store, trx, modelName, version, by]: VersionOp
): Promise<VersionRecord> {
  const model = await lockModel(store, trx, modelName);
  const rec = archived
    ? await refuseIfAliased(trx, modelName, version, 'archive')
    : await getVersion(trx, modelName, version);
  const status = archived ? 'archived' : 'candidate';
  if (rec.status === status) return rec;
  await trx
    .updateTable('versions')
    .set({ status })
    .where('id', '=', await versionId(trx, modelName, version))
    .execute();
  await recordEvent(trx, model.id, {
    actor: by.actor,
    action: archived ? 'archive' : 'unarchive',
    alias: null,
    from: archived ? version : null,
    to: archived ? null : version,
    reason: by.reason ?? '',
  });
  return getVersion(trx, modelName, version);
}

/** The arguments every version operation here takes. */
type VersionOp = [store: Store, trx: Db, modelName: string, version: number, by: ActorReason];

export const archive = (...op: VersionOp): Promise<VersionRecord> => setArchived(true, ...op);
export const unarchive = (...op: VersionOp): Promise<VersionRecord> => setArchived(false, ...op);

/** Delete a version and its artifact for good; its events stay in the history and its number is never given again. */
export async function deleteVersion(
  store: Store,
  trx: Db,
  modelName: string,
  version: number,
  by: ActorReason,
): Promise<void> {
  const model = await lockModel(store, trx, modelName);
  const rec = await refuseIfAliased(trx, modelName, version, 'delete');
  await trx
    .deleteFrom('versions')
    .where('id', '=', await versionId(trx, modelName, version))
    .execute();
  await recordEvent(trx, model.id, {
    actor: by.actor,
    action: 'delete',
    alias: null,
    from: version,
    to: null,
    reason: by.reason ?? '',
    details: { sha256: rec.artifact.sha256 },
  });
}

/** Archive old candidates that hold no alias, keeping the newest `keep` of them. */
export async function gc(store: Store, trx: Db, modelName: string, keep: number, by: ActorReason): Promise<number[]> {
  const candidates = (await listVersions(trx, modelName))
    .filter((v) => v.status === 'candidate' && v.aliases.length === 0)
    .sort((a, b) => b.version - a.version);
  const old = candidates.slice(keep).map((v) => v.version);
  for (const v of old)
    await archive(store, trx, modelName, v, { actor: by.actor, reason: by.reason || `gc --keep ${keep}` });
  return old.sort((a, b) => a - b);
}

export async function setDescription(
  store: Store,
  trx: Db,
  modelName: string,
  version: number,
  description: string,
  by: ActorReason,
): Promise<void> {
  const model = await lockModel(store, trx, modelName);
  const before = (await getVersion(trx, modelName, version)).description;
  await trx
    .updateTable('versions')
    .set({ description })
    .where('id', '=', await versionId(trx, modelName, version))
    .execute();
  await recordEvent(trx, model.id, {
    actor: by.actor,
    action: 'describe',
    alias: null,
    from: null,
    to: version,
    reason: by.reason ?? '',
    details: { before, after: description },
  });
}

export async function setTag(
  store: Store,
  trx: Db,
  modelName: string,
  version: number,
  key: string,
  value: string | null,
  by: ActorReason,
): Promise<Record<string, string>> {
  checkTag(key);
  const model = await lockModel(store, trx, modelName);
  const vid = await versionId(trx, modelName, version);
  const before = (await tagsOf(trx, modelName, version))[key] ?? null;
  if (value === null) await trx.deleteFrom('tags').where('version_id', '=', vid).where('key', '=', key).execute();
  else
    await trx
      .insertInto('tags')
      .values({ version_id: vid, key, value })
      .onConflict((oc) => oc.columns(['version_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
      .execute();
  await recordEvent(trx, model.id, {
    actor: by.actor,
    action: 'tag',
    alias: null,
    from: null,
    to: version,
    reason: by.reason ?? '',
    details: { key, before, after: value },
  });
  return tagsOf(trx, modelName, version);
}

/** The names a version's segments would have after renaming one: refuses a clash (case-insensitive). */
export function checkLabelClash(
  segments: readonly { cluster: number; name: string }[],
  cluster: number,
  label: string,
  version: number,
): void {
  const clash = segments.find((s) => s.cluster !== cluster && s.name.toLowerCase() === label.toLowerCase());
  if (clash)
    throw new RfmError(
      'CONFLICT',
      `cluster ${clash.cluster} of v${version} is already named "${clash.name}"; segment names are unique within a version`,
    );
}

/** A person renames one segment of one version; the artifact stays as trained (its sha256 too). */
export async function relabel(
  store: Store,
  trx: Db,
  modelName: string,
  version: number,
  cluster: number,
  name: string,
  by: ActorReason,
): Promise<{ cluster: number; from: string; to: string }> {
  const label = checkSegmentName(name);
  const model = await lockModel(store, trx, modelName);
  const loaded = await loadModel(trx, modelName, version);
  const seg = loaded.artifact.segments.find((s) => s.cluster === cluster);
  if (!seg)
    throw new RfmError(
      'INVALID_INPUT',
      `v${version} has clusters 0–${loaded.artifact.k - 1}; there is no cluster ${cluster}`,
      {
        issues: [
          {
            path: 'cluster',
            message: 'no such cluster',
            expected: `0–${loaded.artifact.k - 1}`,
            found: String(cluster),
          },
        ],
      },
    );
  checkLabelClash(loaded.artifact.segments, cluster, label, version);
  await trx
    .insertInto('labels')
    .values({ version_id: await versionId(trx, modelName, version), cluster, name: label })
    .onConflict((oc) => oc.columns(['version_id', 'cluster']).doUpdateSet((eb) => ({ name: eb.ref('excluded.name') })))
    .execute();
  await recordEvent(trx, model.id, {
    actor: by.actor,
    action: 'relabel',
    alias: null,
    from: null,
    to: version,
    reason: by.reason ?? '',
    details: { cluster, before: seg.name, after: label },
  });
  // A relabel of the served version changes what servers answer: tell them as for an alias move.
  await store.notify(trx, JSON.stringify({ model: modelName, relabel: version }));
  return { cluster, from: seg.name, to: label };
}

/** Remove an alias (never `production` while it is the only thing serving: use promote/rollback). */
export async function deleteAlias(
  store: Store,
  trx: Db,
  modelName: string,
  alias: string,
  by: ActorReason,
): Promise<{ modelName: string; alias: string; from: number }> {
  if (alias === PRODUCTION)
    throw new RfmError(
      'CONFLICT',
      'the production alias cannot be deleted; promote another version or roll back instead',
    );
  const model = await lockModel(store, trx, modelName);
  const cur = await resolveAlias(trx, modelName, alias);
  if (cur === null) throw new RfmError('NOT_FOUND', `model "${modelName}" has no alias "${alias}"`);
  await trx.deleteFrom('aliases').where('model_id', '=', model.id).where('alias', '=', alias).execute();
  await recordEvent(trx, model.id, {
    actor: by.actor,
    action: 'alias_delete',
    alias,
    from: cur,
    to: null,
    reason: by.reason ?? '',
  });
  await store.notify(trx, JSON.stringify({ model: modelName, alias, version: null }));
  return { modelName, alias, from: cur };
}

export async function setReport(trx: Db, modelName: string, version: number, html: string): Promise<void> {
  await trx
    .insertInto('reports')
    .values({ version_id: await versionId(trx, modelName, version), format: 'html', bytes: Buffer.from(html, 'utf8') })
    .onConflict((oc) => oc.column('version_id').doUpdateSet((eb) => ({ bytes: eb.ref('excluded.bytes') })))
    .execute();
}

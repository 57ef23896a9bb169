import { RfmError } from '@rfm/shared';
import type { Db } from './store/store.js';
import type { VersionRecord } from './types.js';

/**
 * Reading versions: one query for the rows, one for their aliases (no dialect-specific
 * group_concat / string_agg), typed by the schema so no row is cast by hand.
 */
function versionQuery(db: Db, modelName: string) {
  return db
    .selectFrom('versions as v')
    .innerJoin('models as m', 'm.id', 'v.model_id')
    .innerJoin('artifacts as a', 'a.version_id', 'v.id')
    .select([
      'v.id',
      'm.name as model_name',
      'v.version',
      'v.status',
      'v.created_at',
      'v.created_by',
      'v.description',
      'v.k',
      'v.params_json',
      'v.metrics_json',
      'v.data_json',
      'v.training_json',
      'a.sha256',
      'a.size',
      'a.format',
    ])
    .where('m.name', '=', modelName);
}

type Row = Awaited<ReturnType<ReturnType<typeof versionQuery>['executeTakeFirstOrThrow']>>;

async function aliasesOf(db: Db, versionIds: number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  if (!versionIds.length) return out;
  const rows = await db
    .selectFrom('aliases')
    .select(['version_id', 'alias'])
    .where('version_id', 'in', versionIds)
    .orderBy('alias')
    .execute();
  for (const r of rows) out.set(r.version_id, [...(out.get(r.version_id) ?? []), r.alias]);
  return out;
}

function toRecord(r: Row, aliases: string[]): VersionRecord {
  return {
    modelName: r.model_name,
    version: r.version,
    status: r.status,
    createdAt: r.created_at,
    createdBy: r.created_by,
    description: r.description,
    k: r.k,
    aliases,
    params: JSON.parse(r.params_json),
    metrics: JSON.parse(r.metrics_json),
    data: JSON.parse(r.data_json),
    training: JSON.parse(r.training_json),
    artifact: { sha256: r.sha256, size: r.size, format: r.format },
  };
}

export async function listVersions(db: Db, modelName: string): Promise<VersionRecord[]> {
  const rows = await versionQuery(db, modelName).orderBy('v.version').execute();
  const al = await aliasesOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toRecord(r, al.get(r.id) ?? []));
}

export async function getVersion(db: Db, modelName: string, version: number): Promise<VersionRecord> {
  const row = await versionQuery(db, modelName).where('v.version', '=', version).executeTakeFirst();
  if (!row) throw new RfmError('NOT_FOUND', `model "${modelName}" has no version ${version}`);
  const al = await aliasesOf(db, [row.id]);
  return toRecord(row, al.get(row.id) ?? []);
}

export async function modelId(db: Db, name: string): Promise<number> {
  const row = await db.selectFrom('models').select('id').where('name', '=', name).executeTakeFirst();
  if (!row) throw new RfmError('NOT_FOUND', `no model named "${name}" in the registry`);
  return row.id;
}

export async function versionId(db: Db, modelName: string, version: number): Promise<number> {
  const row = await db
    .selectFrom('versions as v')
    .innerJoin('models as m', 'm.id', 'v.model_id')
    .select('v.id')
    .where('m.name', '=', modelName)
    .where('v.version', '=', version)
    .executeTakeFirst();
  if (!row) throw new RfmError('NOT_FOUND', `model "${modelName}" has no version ${version}`);
  return row.id;
}

export async function resolveAlias(db: Db, modelName: string, alias: string): Promise<number | null> {
  const row = await db
    .selectFrom('aliases as al')
    .innerJoin('models as m', 'm.id', 'al.model_id')
    .innerJoin('versions as v', 'v.id', 'al.version_id')
    .select('v.version')
    .where('m.name', '=', modelName)
    .where('al.alias', '=', alias)
    .executeTakeFirst();
  return row?.version ?? null;
}

/** Raw artifact bytes and their recorded sha256 (not verified: see loadArtifact). */
export async function artifactBytes(
  db: Db,
  modelName: string,
  version: number,
): Promise<{ bytes: Buffer; sha256: string }> {
  const row = await db
    .selectFrom('artifacts as a')
    .innerJoin('versions as v', 'v.id', 'a.version_id')
    .innerJoin('models as m', 'm.id', 'v.model_id')
    .select(['a.bytes', 'a.sha256'])
    .where('m.name', '=', modelName)
    .where('v.version', '=', version)
    .executeTakeFirst();
  if (!row) throw new RfmError('NOT_FOUND', `model "${modelName}" has no version ${version}`);
  return row;
}

export async function labelsOf(db: Db, modelName: string, version: number): Promise<Record<number, string>> {
  const rows = await db
    .selectFrom('labels')
    .select(['cluster', 'name'])
    .where('version_id', '=', await versionId(db, modelName, version))
    .orderBy('cluster')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.cluster, r.name]));
}

export async function tagsOf(db: Db, modelName: string, version: number): Promise<Record<string, string>> {
  const rows = await db
    .selectFrom('tags')
    .select(['key', 'value'])
    .where('version_id', '=', await versionId(db, modelName, version))
    .orderBy('key')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

import { RfmError } from '@rfm/shared';
import { builtOnce } from './store/built-once.js';
import type { Db } from './store/store.js';
import type { VersionRecord } from './types.js';

/**
 * Reading versions: one query, a row per (version, alias) from a left join on aliases, folded in
 * JS (no dialect-specific group_concat / string_agg), typed by the schema so no row is cast by
 * hand. The reads servers and `rfm models list/show` repeat are built once (store/built-once.ts).
 */
function versionQuery(db: Db, modelName: string) {
  return db
    .selectFrom('versions as v')
    .innerJoin('models as m', 'm.id', 'v.model_id')
    .innerJoin('artifacts as a', 'a.version_id', 'v.id')
    .leftJoin('aliases as al', 'al.version_id', 'v.id')
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
      'al.alias',
    ])
    .where('m.name', '=', modelName);
}

type Row = Awaited<ReturnType<ReturnType<typeof versionQuery>['executeTakeFirstOrThrow']>>;

const listRows = builtOnce((db: Db, modelName: string) =>
  versionQuery(db, modelName).orderBy('v.version').orderBy('al.alias'),
);
const versionRows = builtOnce((db: Db, modelName: string, version: number) =>
  versionQuery(db, modelName).where('v.version', '=', version).orderBy('al.alias'),
);

/** Rows of one version are adjacent (ordered by version): one record each, with its aliases. */
function fold(rows: Row[]): VersionRecord[] {
  const out: VersionRecord[] = [];
  let last: Row | null = null;
  for (const r of rows) {
    if (last?.id !== r.id) out.push(toRecord(r, []));
    if (r.alias !== null) out[out.length - 1]!.aliases.push(r.alias);
    last = r;
  }
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
  return fold(await listRows(db, modelName));
}

export async function getVersion(db: Db, modelName: string, version: number): Promise<VersionRecord> {
  const [rec] = fold(await versionRows(db, modelName, version));
  if (!rec) throw new RfmError('NOT_FOUND', `model "${modelName}" has no version ${version}`);
  return rec;
}

const modelRow = builtOnce((db: Db, name: string) => db.selectFrom('models').select('id').where('name', '=', name));

export async function modelId(db: Db, name: string): Promise<number> {
  const [row] = await modelRow(db, name);
  if (!row) throw new RfmError('NOT_FOUND', `no model named "${name}" in the registry`);
  return row.id;
}

const versionIdRow = builtOnce((db: Db, modelName: string, version: number) =>
  db
    .selectFrom('versions as v')
    .innerJoin('models as m', 'm.id', 'v.model_id')
    .select('v.id')
    .where('m.name', '=', modelName)
    .where('v.version', '=', version),
);

export async function versionId(db: Db, modelName: string, version: number): Promise<number> {
  const [row] = await versionIdRow(db, modelName, version);
  if (!row) throw new RfmError('NOT_FOUND', `model "${modelName}" has no version ${version}`);
  return row.id;
}

const aliasRow = builtOnce((db: Db, modelName: string, alias: string) =>
  db
    .selectFrom('aliases as al')
    .innerJoin('models as m', 'm.id', 'al.model_id')
    .innerJoin('versions as v', 'v.id', 'al.version_id')
    .select('v.version')
    .where('m.name', '=', modelName)
    .where('al.alias', '=', alias),
);

export async function resolveAlias(db: Db, modelName: string, alias: string): Promise<number | null> {
  const [row] = await aliasRow(db, modelName, alias);
  return row?.version ?? null;
}

const artifactRow = builtOnce((db: Db, modelName: string, version: number) =>
  db
    .selectFrom('artifacts as a')
    .innerJoin('versions as v', 'v.id', 'a.version_id')
    .innerJoin('models as m', 'm.id', 'v.model_id')
    .select(['a.bytes', 'a.sha256'])
    .where('m.name', '=', modelName)
    .where('v.version', '=', version),
);

/** Raw artifact bytes and their recorded sha256 (not verified: see loadArtifact). */
export async function artifactBytes(
  db: Db,
  modelName: string,
  version: number,
): Promise<{ bytes: Buffer; sha256: string }> {
  const [row] = await artifactRow(db, modelName, version);
  if (!row) throw new RfmError('NOT_FOUND', `model "${modelName}" has no version ${version}`);
  return row;
}

/** A version's relabels or tags in one query (joined by name: no separate version-id lookup). */
const labelRows = builtOnce((db: Db, modelName: string, version: number) =>
  db
    .selectFrom('labels as l')
    .innerJoin('versions as v', 'v.id', 'l.version_id')
    .innerJoin('models as m', 'm.id', 'v.model_id')
    .select(['l.cluster', 'l.name'])
    .where('m.name', '=', modelName)
    .where('v.version', '=', version)
    .orderBy('l.cluster'),
);
const tagRows = builtOnce((db: Db, modelName: string, version: number) =>
  db
    .selectFrom('tags as t')
    .innerJoin('versions as v', 'v.id', 't.version_id')
    .innerJoin('models as m', 'm.id', 'v.model_id')
    .select(['t.key', 't.value'])
    .where('m.name', '=', modelName)
    .where('v.version', '=', version)
    .orderBy('t.key'),
);

/** Relabels of a version (NOT_FOUND when the version does not exist, unless the caller just read it). */
export async function labelsOf(
  db: Db,
  modelName: string,
  version: number,
  versionKnown = false,
): Promise<Record<number, string>> {
  const rows = await labelRows(db, modelName, version);
  if (!rows.length && !versionKnown) await versionId(db, modelName, version);
  return Object.fromEntries(rows.map((r) => [r.cluster, r.name]));
}

/** Tags of a version (NOT_FOUND when the version does not exist). */
export async function tagsOf(db: Db, modelName: string, version: number): Promise<Record<string, string>> {
  const rows = await tagRows(db, modelName, version);
  if (!rows.length) await versionId(db, modelName, version);
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

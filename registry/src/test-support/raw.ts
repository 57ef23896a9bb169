import { sql } from 'kysely';
import { recordEvent } from '../events.js';
import { parseLocation } from '../location.js';
import { Registry } from '../registry.js';
import { ALIAS_CHANNEL, PostgresStore } from '../store/postgres.js';
import { SqliteStore } from '../store/sqlite.js';
import type { Db } from '../store/store.js';

/**
 * Reach behind the registry's back, as damage or a hostile operator would: a typed Kysely handle
 * on the same tables, on either back end. Tests only; the application never does this.
 */
export async function withRawDb<T>(
  location: string,
  fn: (db: Db, kind: 'sqlite' | 'postgres') => Promise<T>,
): Promise<T> {
  const loc = parseLocation(location);
  const store = loc.kind === 'sqlite' ? await SqliteStore.open(loc.file) : await PostgresStore.open(loc.url);
  try {
    return await fn(store.db, store.kind);
  } finally {
    await store.close();
  }
}

/** Replace text inside one stored artifact's bytes (its recorded sha256 stays): a damaged artifact. */
export async function tamperArtifact(
  location: string,
  model: string,
  version: number,
  edit: (json: string) => string,
): Promise<void> {
  await withRawDb(location, async (db) => {
    const row = await db
      .selectFrom('artifacts as a')
      .innerJoin('versions as v', 'v.id', 'a.version_id')
      .innerJoin('models as m', 'm.id', 'v.model_id')
      .select(['a.version_id', 'a.bytes'])
      .where('m.name', '=', model)
      .where('v.version', '=', version)
      .executeTakeFirstOrThrow();
    const bytes = Buffer.from(edit(Buffer.from(row.bytes).toString('utf8')), 'utf8');
    await db.updateTable('artifacts').set({ bytes }).where('version_id', '=', row.version_id).execute();
  });
}

/** Row counts of the main tables: "nothing partial was left behind" in one comparison. */
export async function tableCounts(location: string): Promise<Record<string, number>> {
  return withRawDb(location, async (db) => {
    const out: Record<string, number> = {};
    for (const t of [
      'models',
      'versions',
      'artifacts',
      'events',
      'aliases',
      'features',
      'reports',
      'labels',
      'tags',
    ] as const) {
      const r = await db
        .selectFrom(t)
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .executeTakeFirstOrThrow();
      out[t] = Number(r.n);
    }
    return out;
  });
}

/**
 * Point an alias at a version behind the registry's checks, as damage or an older rfm (which did
 * not verify artifacts before a move) could leave it: the row is updated and the move recorded and
 * announced the way servers notice one (an event; on PostgreSQL a NOTIFY in the same transaction).
 */
export async function pointAliasRaw(location: string, model: string, alias: string, version: number): Promise<void> {
  await withRawDb(location, async (db, kind) => {
    await db.transaction().execute(async (trx) => {
      const v = await trx
        .selectFrom('versions as v')
        .innerJoin('models as m', 'm.id', 'v.model_id')
        .select(['v.id', 'v.model_id'])
        .where('m.name', '=', model)
        .where('v.version', '=', version)
        .executeTakeFirstOrThrow();
      await trx
        .updateTable('aliases')
        .set({ version_id: v.id })
        .where('model_id', '=', v.model_id)
        .where('alias', '=', alias)
        .execute();
      await recordEvent(trx, v.model_id, {
        actor: 'raw',
        action: 'alias_set',
        alias,
        from: null,
        to: version,
        reason: 'raw',
      });
      if (kind === 'postgres') await sql`select pg_notify(${ALIAS_CHANNEL}, ${model})`.execute(trx);
    });
  });
}

/**
 * What a crash must never leave: the integrity check's answer (SQLite; 'ok' on PostgreSQL), the
 * version numbers, and the count of rows betraying a half-written registration (a version without
 * its artifact or its register/import event, an artifact or features without their version; with
 * `features`, also a version without its training customers).
 */
export async function auditRegistry(
  location: string,
  opts: { features?: boolean } = {},
): Promise<{ integrity: string; versions: number[]; orphans: number }> {
  const reg = await Registry.openReadOnly(location);
  let integrity: string;
  try {
    integrity = (await reg.integrityCheck()).join(',');
  } finally {
    await reg.close();
  }
  return withRawDb(location, async (db) => {
    const versions = (await db.selectFrom('versions').select('version').orderBy('version').execute()).map(
      (r) => r.version,
    );
    const q = await sql<{ n: number | string }>`
      SELECT (SELECT COUNT(*) FROM versions v WHERE NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.version_id = v.id))
           + (SELECT COUNT(*) FROM artifacts a WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.id = a.version_id))
           + (SELECT COUNT(*) FROM features f WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.id = f.version_id))
           + (SELECT COUNT(*) FROM versions v WHERE NOT EXISTS
               (SELECT 1 FROM events e WHERE e.action IN ('register', 'import') AND e.to_version = v.version))
           + ${opts.features ? sql`(SELECT COUNT(*) FROM versions v WHERE NOT EXISTS (SELECT 1 FROM features f WHERE f.version_id = v.id))` : sql`0`}
        AS n`.execute(db);
    return { integrity, versions, orphans: Number(q.rows[0]!.n) };
  });
}

import { parseLocation } from '../location.js';
import { PostgresStore } from '../store/postgres.js';
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

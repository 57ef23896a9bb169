import { RfmError, sha256Hex } from '@rfm/shared';
import { sql } from 'kysely';
import { parseLocation } from './location.js';
import type { Db, Store } from './store/store.js';

export interface CopyReport {
  models: number;
  versions: number;
  events: number;
  aliases: number;
  /** digest of every model, version number, artifact sha256, alias and event on both sides: equal after the copy */
  digest: string;
}

async function openStore(location: string, readonly: boolean): Promise<Store> {
  const loc = parseLocation(location);
  if (loc.kind === 'sqlite') {
    const { SqliteStore } = await import('./store/sqlite.js');
    return readonly ? SqliteStore.openReadOnly(loc.file) : SqliteStore.open(loc.file);
  }
  const { PostgresStore } = await import('./store/postgres.js');
  return PostgresStore.open(loc.url, { readonly });
}

/** What must be identical on both sides: numbers, checksums, aliases and the whole history. */
async function digest(db: Db): Promise<Omit<CopyReport, 'digest'> & { digest: string }> {
  const models = await db.selectFrom('models').select(['id', 'name', 'last_version']).orderBy('id').execute();
  const versions = await db
    .selectFrom('versions as v')
    .innerJoin('artifacts as a', 'a.version_id', 'v.id')
    .select(['v.id', 'v.model_id', 'v.version', 'v.status', 'a.sha256'])
    .orderBy('v.id')
    .execute();
  const aliases = await db.selectFrom('aliases').selectAll().orderBy('model_id').orderBy('alias').execute();
  const events = await db
    .selectFrom('events')
    .select([
      'id',
      'model_id',
      'action',
      'alias',
      'from_version',
      'to_version',
      'ref_event_id',
      'at',
      'actor',
      'reason',
    ])
    .orderBy('id')
    .execute();
  return {
    models: models.length,
    versions: versions.length,
    events: events.length,
    aliases: aliases.length,
    digest: sha256Hex(JSON.stringify([models, versions, aliases, events])),
  };
}

const TABLES = [
  'models',
  'versions',
  'artifacts',
  'features',
  'reports',
  'tags',
  'labels',
  'policies',
  'aliases',
  'events',
  'runs',
  // the erasure key: a copy still recognises people erased before it
  'registry_secrets',
  'run_webhooks',
] as const;

/**
 * `rfm registry copy FROM TO`: every row of a registry into an empty one on either back end
 * (SQLite ↔ PostgreSQL), ids included, so version numbers, aliases, events (and the references
 * between them) and checksums are exactly preserved. One transaction on the destination; blobs are
 * copied one version at a time. Verified after: the same digest on both sides, and every artifact
 * of the destination checks against its sha256.
 */
export async function copyRegistry(from: string, to: string): Promise<CopyReport> {
  const src = await openStore(from, true);
  try {
    const dst = await openStore(to, false);
    try {
      const before = await digest(src.db);
      await dst.write(async (trx) => {
        const existing = await trx.selectFrom('models').select('id').limit(1).execute();
        if (existing.length)
          throw new RfmError('CONFLICT', 'the destination registry is not empty; copy only into a new one');
        for (const t of TABLES) {
          if (t === 'runs') {
            // one run at a time: each holds every customer of an export (up to tens of MB)
            const ids = await src.db.selectFrom('runs').select('id').orderBy('id').execute();
            for (const { id } of ids)
              await trx
                .insertInto('runs')
                .values(await src.db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirstOrThrow())
                .execute();
            continue;
          }
          if (t === 'artifacts' || t === 'features' || t === 'reports') {
            const ids = await src.db.selectFrom('versions').select('id').orderBy('id').execute();
            for (const { id } of ids) {
              const rows = await src.db.selectFrom(t).selectAll().where('version_id', '=', id).execute();
              if (rows.length)
                await trx
                  .insertInto(t)
                  .values(rows as never)
                  .execute();
            }
            continue;
          }
          const rows = await src.db
            .selectFrom(t)
            .selectAll()
            .$if(t === 'events' || t === 'models' || t === 'versions', (q) => q.orderBy(sql.ref('id')))
            .execute();
          for (let i = 0; i < rows.length; i += 200)
            await trx
              .insertInto(t)
              .values(rows.slice(i, i + 200) as never)
              .execute();
        }
        if (dst.kind === 'postgres')
          for (const t of ['models', 'versions', 'events'])
            await sql`select setval(pg_get_serial_sequence(${t}, 'id'), coalesce((select max(id) from ${sql.table(t)}), 0) + 1, false)`.execute(
              trx,
            );
      });
      const after = await digest(dst.db);
      if (after.digest !== before.digest)
        throw new RfmError('REGISTRY_ERROR', 'copy verification failed: the destination differs from the source');
      const { parseArtifact } = await import('@rfm/shared');
      const arts = await dst.db.selectFrom('artifacts').select(['bytes', 'sha256']).execute();
      for (const a of arts) parseArtifact(Buffer.from(a.bytes), a.sha256);
      return after;
    } finally {
      await dst.close();
    }
  } finally {
    await src.close();
  }
}

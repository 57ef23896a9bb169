import Database from 'better-sqlite3';
import { accessSync, constants as fsConstants, existsSync, mkdirSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { isRfmError, RfmError } from '@rfm/shared';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';
import { SCHEMA_VERSION, schemaTooNew, schemaTooOld } from './schema-version.js';
import type { RegistryTables } from './schema.js';
import { type Db, refuseReadOnly, type Store, translatingErrors } from './store.js';

/** How long a writer waits for another's lock before SQLite reports busy (then we retry: see write). */
export const BUSY_TIMEOUT_MS = 10_000;

/**
 * The embedded back end: one SQLite file (WAL) through better-sqlite3, queried with Kysely's
 * SQLite dialect. Writers queue on BEGIN IMMEDIATE; readers never block them.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly db: Db;
  private constructor(
    readonly location: string,
    private readonly raw: Database.Database,
    readonly readonly: boolean,
  ) {
    // Kysely's SQLite driver prepares every query anew; the registry issues a few dozen distinct
    // statements, so keep them prepared (better-sqlite3 statements are reusable).
    const cache = new Map<string, Database.Statement>();
    const database = {
      prepare(q: string) {
        let st = cache.get(q);
        if (!st) {
          st = raw.prepare(q);
          if (cache.size < 500) cache.set(q, st);
        }
        return st;
      },
      close: () => raw.close(),
    };
    this.db = new Kysely<RegistryTables>({ dialect: new SqliteDialect({ database }) });
  }

  /** Open (creating and migrating if needed) for reading and writing. */
  static async open(file: string, opts: { busyTimeoutMs?: number } = {}): Promise<SqliteStore> {
    let raw: Database.Database | undefined;
    try {
      mkdirSync(dirname(file), { recursive: true });
      raw = new Database(file, { timeout: opts.busyTimeoutMs ?? BUSY_TIMEOUT_MS });
      raw.pragma('journal_mode = WAL');
      raw.pragma('synchronous = NORMAL');
      raw.pragma('foreign_keys = ON');
      // deleted rows (erasure, retention, deleted runs) are overwritten with zeros, not left in free pages
      raw.pragma('secure_delete = ON');
      migrate(raw);
      return new SqliteStore(file, raw, false);
    } catch (e) {
      closeQuietly(raw); // a half-opened connection would keep the file open until GC
      throw wrapSqlite(e, file);
    }
  }

  /** Open an existing registry read-only; never creates, migrates or writes anything. */
  static async openReadOnly(file: string): Promise<SqliteStore> {
    let raw: Database.Database | undefined;
    try {
      raw = new Database(file, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
      raw.pragma('foreign_keys = ON');
      const v = raw.pragma('user_version', { simple: true }) as number;
      if (v !== 0 && v > SCHEMA_VERSION) throw schemaTooNew(v);
      if (v !== 0 && v < SCHEMA_VERSION) throw schemaTooOld(v);
      return new SqliteStore(file, raw, true);
    } catch (e) {
      closeQuietly(raw);
      throw wrapSqlite(e, file);
    }
  }

  async write<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    refuseReadOnly(this);
    // One connection: Kysely's mutex keeps every other query of this handle out until we finish.
    return translatingErrors(this, () =>
      this.db.connection().execute(async (conn) => {
        await sql`begin immediate`.execute(conn);
        try {
          const out = await fn(conn);
          await sql`commit`.execute(conn);
          return out;
        } catch (e) {
          if (this.raw.inTransaction) await sql`rollback`.execute(conn);
          throw e;
        }
      }),
    );
  }

  read<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return translatingErrors(this, () => fn(this.db));
  }

  changeToken(): Promise<string> {
    return translatingErrors(this, async () => String(this.raw.pragma('data_version', { simple: true })));
  }

  async schemaVersion(): Promise<number> {
    return this.raw.pragma('user_version', { simple: true }) as number;
  }

  async notify(): Promise<void> {
    // Servers on SQLite poll PRAGMA data_version; nothing to announce.
  }

  async reclaim(): Promise<{ complete: boolean; detail: string }> {
    return translatingErrors(this, async () => {
      const [r] = this.raw.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
      const complete = r !== undefined && r.busy === 0;
      return {
        complete,
        detail: complete
          ? 'write-ahead log checkpointed and truncated; freed pages were zeroed (secure_delete)'
          : `a reader still holds ${r?.log ?? 0} frames of the write-ahead log; they are overwritten when it next checkpoints`,
      };
    });
  }

  /** SQLite's own consistency check (rfm models verify --deep and the corruption tests). */
  integrityCheck(): string[] {
    return (this.raw.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
  }

  /** The raw handle, for tests that must provoke SQLite-specific faults (page caps, checkpoints). */
  get sqlite(): Database.Database {
    return this.raw;
  }

  wrapError(e: unknown): Error {
    return wrapSqlite(e, this.location);
  }

  async close(): Promise<void> {
    await this.db.destroy(); // closes the better-sqlite3 handle too
  }
}

/**
 * Upgrade the schema. Each step runs under BEGIN IMMEDIATE and re-reads `user_version` inside the
 * lock: two processes opening an old registry at once queue on the lock and the second finds
 * nothing left to do, instead of both running the migration and one failing.
 */
function migrate(db: Database.Database): void {
  for (;;) {
    const done = db
      .transaction(() => {
        const current = db.pragma('user_version', { simple: true }) as number;
        if (current > SCHEMA_VERSION) throw schemaTooNew(current);
        if (current === SCHEMA_VERSION) return true;
        db.exec(SQLITE_MIGRATIONS[current]!);
        db.pragma(`user_version = ${current + 1}`);
        return false;
      })
      .immediate();
    if (done) return;
  }
}

function closeQuietly(db: Database.Database | undefined): void {
  try {
    if (db?.open) db.close();
  } catch {
    // already failing: the first error is the one to report
  }
}

/** Bytes free for this user on the registry's file system, or null when unknown. */
function freeBytes(file: string): number | null {
  try {
    const s = statfsSync(dirname(file));
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

/** Why the registry (or, before it exists, its folder) cannot be written, in words; null if it can. */
function unwritable(file: string): string | null {
  try {
    accessSync(existsSync(file) ? file : dirname(file), fsConstants.W_OK);
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EROFS') return 'is on a read-only file system';
    if (code === 'EACCES' || code === 'EPERM') return 'is not writable by this user';
    return null;
  }
}

/**
 * SQLite failures → REGISTRY_ERROR; never a raw stack to the user, and never the file's path (a
 * server may send the message to anonymous clients; the CLI adds the path). I/O errors are told
 * apart by looking at the file system: SQLite reports a full disk while it sizes its shared-memory
 * file as a plain "disk I/O error", and a read-only mount as "unable to open".
 */
export function wrapSqlite(e: unknown, file: string): Error {
  if (isRfmError(e)) return e;
  const err = e as { code?: string; message?: string };
  const code = err?.code ?? '';
  const msg = (err.message ?? '').split(file).join('<registry>');
  if (code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN') {
    const free = freeBytes(file);
    if (free !== null && free < 1024 * 1024)
      return new RfmError(
        'REGISTRY_ERROR',
        `registry: disk full (${free.toLocaleString('en-US')} bytes free); nothing was written`,
        { cause: e },
      );
    if (code === 'SQLITE_FULL')
      return new RfmError(
        'REGISTRY_ERROR',
        'registry is full (a size limit was reached, though the disk has room); nothing was written',
        { cause: e },
      );
    const ro = unwritable(file);
    if (ro) return new RfmError('REGISTRY_ERROR', `registry ${ro}; nothing was written`, { cause: e });
  }
  if (code === 'SQLITE_CANTOPEN') return new RfmError('REGISTRY_ERROR', `cannot open registry: ${msg}`, { cause: e });
  if (code === 'SQLITE_READONLY')
    return new RfmError('REGISTRY_ERROR', 'registry is read-only; nothing was written', { cause: e });
  if (code === 'SQLITE_BUSY')
    return new RfmError('REGISTRY_ERROR', 'registry stayed locked by another process; nothing was written', {
      cause: e,
      details: { busy: true },
    });
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT')
    return new RfmError('REGISTRY_ERROR', `not a valid rfm registry (${msg})`, { cause: e });
  if (code.startsWith('SQLITE_')) return new RfmError('REGISTRY_ERROR', `registry: ${msg}`, { cause: e });
  return new RfmError('INTERNAL', 'internal error', { cause: e });
}

import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { isRfmError, RfmError } from '@rfm/shared';
import { redactUrl } from '../location.js';
import { PG_MIGRATIONS } from './pg-migrations.js';
import { SCHEMA_VERSION, schemaTooNew, schemaTooOld } from './schema-version.js';
import type { RegistryTables } from './schema.js';
import { type Db, refuseReadOnly, type Store, translatingErrors } from './store.js';

/** Arbitrary constant: the advisory lock every migrating process takes, so one migrates and the others wait. */
const MIGRATION_LOCK = 7_414_221;
export const ALIAS_CHANNEL = 'rfm_registry';

export interface PostgresOptions {
  readonly?: boolean;
}

/** `RFM_PG_POOL_SIZE` (default 5): connections per process; servers need few, a busy admin API more. */
function poolSize(env: NodeJS.ProcessEnv): number {
  const n = Number(env.RFM_PG_POOL_SIZE ?? 5);
  if (!Number.isInteger(n) || n < 1 || n > 100)
    throw new RfmError(
      'INVALID_INPUT',
      `RFM_PG_POOL_SIZE must be a whole number 1–100, got ${String(env.RFM_PG_POOL_SIZE).slice(0, 20)}`,
    );
  return n;
}

/**
 * Settings come from the URL, and whatever it leaves out from the usual PG* variables (PGHOST,
 * PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE… — node-postgres reads them, and ~/.pgpass).
 * TLS options ride in the URL as libpq spells them (sslmode, sslrootcert, sslcert, sslkey) and are
 * passed through untouched. The URL's password is never logged or put in a message.
 */
export function poolConfig(url: string, env: NodeJS.ProcessEnv = process.env): pg.PoolConfig {
  return {
    connectionString: url,
    max: poolSize(env),
    connectionTimeoutMillis: Number(env.RFM_PG_CONNECT_TIMEOUT_MS ?? 5000),
    idleTimeoutMillis: 30_000,
    application_name: 'rfm',
  };
}

/**
 * The shared back end: a PostgreSQL database through node-postgres, queried with Kysely's
 * PostgreSQL dialect. Writes are READ COMMITTED transactions that lock the model's row first
 * (aliases.ts lockModel), so numbering and alias moves on one model are serialised across every
 * host; alias moves NOTIFY listening servers in the same transaction.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly db: Db;
  readonly location: string;

  private constructor(
    private readonly url: string,
    pool: pg.Pool,
    readonly readonly: boolean,
  ) {
    this.location = redactUrl(url);
    this.db = new Kysely<RegistryTables>({ dialect: new PostgresDialect({ pool }) });
  }

  static async open(url: string, opts: PostgresOptions = {}): Promise<PostgresStore> {
    const pool = new pg.Pool(poolConfig(url));
    // An idle client losing its server (a restart) must not crash the process: the next query reconnects.
    pool.on('error', () => {});
    // pg-pool listens for errors on idle clients only; a checked-out client whose server goes away
    // (a restart, a failover, pg_terminate_backend) emits 'error' besides failing its query or
    // transaction, and unheard that ends the process. The failure already reaches the caller.
    pool.on('connect', (client) => client.on('error', () => {}));
    const store = new PostgresStore(url, pool, opts.readonly ?? false);
    try {
      if (store.readonly) {
        const v = await store.schemaVersion();
        if (v > SCHEMA_VERSION) throw schemaTooNew(v);
        if (v !== 0 && v < SCHEMA_VERSION) throw schemaTooOld(v);
      } else await store.migrate();
      return store;
    } catch (e) {
      await pool.end().catch(() => {});
      throw store.wrapError(e);
    }
  }

  /** Migrate under an advisory lock, re-reading the version inside it (two openers: one migrates). */
  private async migrate(): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
      await sql`create table if not exists rfm_schema (version integer not null)`.execute(trx);
      const row = await sql<{ version: number }>`select version from rfm_schema`.execute(trx);
      let v = row.rows[0]?.version ?? 0;
      if (!row.rows.length) await sql`insert into rfm_schema (version) values (0)`.execute(trx);
      if (v > SCHEMA_VERSION) throw schemaTooNew(v);
      for (; v < SCHEMA_VERSION; v++) await sql.raw(PG_MIGRATIONS[v]!).execute(trx);
      await sql`update rfm_schema set version = ${SCHEMA_VERSION}`.execute(trx);
    });
  }

  async write<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    refuseReadOnly(this);
    return translatingErrors(this, () => this.db.transaction().execute(fn));
  }

  read<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return translatingErrors(this, () => fn(this.db));
  }

  /** Every change the servers care about records an event: the newest event id is the change token. */
  changeToken(): Promise<string> {
    return translatingErrors(this, async () => {
      const r = await sql<{ id: number | null }>`select max(id) as id from events`.execute(this.db);
      return String(r.rows[0]?.id ?? 0);
    });
  }

  async schemaVersion(): Promise<number> {
    try {
      const r = await sql<{ v: number | null }>`select (select version from rfm_schema) as v
        where to_regclass('rfm_schema') is not null`.execute(this.db);
      return r.rows[0]?.v ?? 0;
    } catch (e) {
      // rfm_schema missing: the subquery fails to plan on some versions; a fresh database is version 0
      if ((e as { code?: string }).code === '42P01') return 0;
      throw this.wrapError(e);
    }
  }

  async reclaim(tables: readonly string[]): Promise<{ complete: boolean; detail: string }> {
    refuseReadOnly(this);
    return translatingErrors(this, async () => {
      // VACUUM cannot run inside a transaction block: one statement per table on a pooled connection
      for (const t of tables) await sql`vacuum ${sql.table(t)}`.execute(this.db);
      return {
        complete: true,
        detail: `VACUUM ${tables.join(', ')}: dead rows are reusable space (WAL segments and backups keep what they hold)`,
      };
    });
  }

  async notify(trx: Db, payload: string): Promise<void> {
    await sql`select pg_notify(${ALIAS_CHANNEL}, ${payload})`.execute(trx);
  }

  /**
   * Follow alias moves: a dedicated connection LISTENs on the channel and calls `onChange` for
   * each notification, and once after every (re)connection so a listener catches up on moves it
   * missed while disconnected. A lost connection is retried with back-off (0.25 s doubling to
   * 5 s); `onState` reports whether the listener is connected. Returns a stop function.
   */
  listen(onChange: () => void, onState: (connected: boolean, error?: string) => void): () => Promise<void> {
    let stopped = false;
    let client: pg.Client | null = null;
    let delay = 250;
    let timer: NodeJS.Timeout | null = null;
    const connect = async () => {
      if (stopped) return;
      const c = new pg.Client({
        connectionString: this.url,
        connectionTimeoutMillis: 5000,
        application_name: 'rfm-listen',
      });
      client = c;
      const lost = (err?: Error) => {
        if (client !== c) return;
        client = null;
        c.removeAllListeners('notification');
        c.end().catch(() => {});
        if (stopped) return;
        onState(false, err ? this.wrapError(err).message : 'connection closed');
        timer = setTimeout(connect, delay);
        timer.unref();
        delay = Math.min(5000, delay * 2);
      };
      c.on('error', lost);
      c.on('end', () => lost());
      c.on('notification', () => onChange());
      try {
        await c.connect();
        await c.query(`LISTEN ${ALIAS_CHANNEL}`);
        if (stopped || client !== c) return;
        delay = 250;
        onState(true);
        onChange(); // catch up on anything that moved while we were not listening
      } catch (e) {
        lost(e as Error);
      }
    };
    void connect();
    return async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    };
  }

  wrapError(e: unknown): Error {
    return wrapPg(e, this.url);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EPIPE',
]);

/**
 * node-postgres failures → RfmError. Unreachable or restarting servers are REGISTRY_UNAVAILABLE
 * (503 / exit 69: try again); serialization failures and deadlocks are "busy" and retried by the
 * registry. Messages never carry the URL (it may hold a password) or a stack.
 */
export function wrapPg(e: unknown, url: string): Error {
  if (isRfmError(e)) return e;
  const err = e as { code?: string; message?: string };
  const code = err?.code ?? '';
  const msg = scrub(String(err?.message ?? ''), url);
  if (
    UNREACHABLE.has(code) ||
    code.startsWith('08') ||
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03' ||
    /Connection terminated|timeout expired|connect ECONNREFUSED|Client has encountered a connection error/i.test(msg)
  )
    return new RfmError(
      'REGISTRY_UNAVAILABLE',
      `registry database unreachable (${code || msg.slice(0, 80)}); nothing was written`,
      {
        cause: e,
      },
    );
  if (code === '40001' || code === '40P01')
    return new RfmError('REGISTRY_ERROR', 'registry busy (concurrent writers); nothing was written', {
      cause: e,
      details: { busy: true },
    });
  if (code === '28P01' || code === '28000')
    return new RfmError('REGISTRY_ERROR', 'registry database refused the credentials given', { cause: e });
  if (code === '3D000') return new RfmError('REGISTRY_ERROR', 'registry database does not exist', { cause: e });
  if (code === '25006')
    return new RfmError('REGISTRY_ERROR', 'registry is read-only; nothing was written', { cause: e });
  if (/^[0-9A-Z]{5}$/.test(code)) return new RfmError('REGISTRY_ERROR', `registry: ${msg}`, { cause: e });
  return new RfmError('INTERNAL', 'internal error', { cause: e });
}

function scrub(msg: string, url: string): string {
  let out = msg.split(url).join('<registry>');
  try {
    const pw = decodeURIComponent(new URL(url).password);
    if (pw) out = out.split(pw).join('***');
  } catch {}
  return out;
}

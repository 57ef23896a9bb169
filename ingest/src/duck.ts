import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { RfmError, isRfmError } from '@rfm/shared';
import { sqlString } from './sql.js';

type DuckApi = typeof import('@duckdb/node-api');

/**
 * DuckDB's memory limit for one import, `RFM_DUCKDB_MEMORY` (default 1GB). DuckDB's own default
 * is 80% of the machine's RAM, which a 100M-row export on a shared machine would take and then
 * get killed for; with a limit, the aggregation spills to the temp directory instead (the RFM
 * table of a million customers needs about 100 MB; the UCI export about 50 MB).
 */
export function duckMemoryLimit(env: NodeJS.ProcessEnv = process.env): string {
  const v = (env.RFM_DUCKDB_MEMORY ?? '1GB').trim();
  const m = /^(\d+(?:\.\d+)?)\s*(MB|GB|MiB|GiB)$/i.exec(v);
  const mb = m ? Number(m[1]) * (/^g/i.test(m[2]!) ? 1024 : 1) : NaN;
  if (!(mb >= 64 && mb <= 1024 * 1024))
    throw new RfmError(
      'INVALID_INPUT',
      `RFM_DUCKDB_MEMORY must be a size from 64MB to 1024GB such as 1GB or 512MB, got "${v.slice(0, 20)}"`,
      {
        issues: [
          { path: 'RFM_DUCKDB_MEMORY', message: 'not a memory size', expected: '64MB–1024GB', found: v.slice(0, 20) },
        ],
      },
    );
  return `${Math.round(mb)}MiB`; // MB and GB read as binary units, as the conversion above
}

/**
 * One throwaway in-memory DuckDB per import: it streams the file, aggregates with all cores and
 * spills if it must; only per-customer rows ever reach JS.
 */
export async function withDuck<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const memory = duckMemoryLimit();
  // Spill files go to a private temp dir (DuckDB's default is `.tmp` in the working directory).
  const spill = await mkdtemp(join(tmpdir(), 'rfm-duckdb-'));
  // Loaded on first use, like tfjs: `rfm models …` never needs the native DuckDB library. An
  // import() (not a require) so that the CLI bundle carries DuckDB's JS API (181 modules) in a
  // chunk; taken from `default`, which is module.exports for a CommonJS package both in Node and in
  // the bundle (the bundle cannot see the package's re-exported names).
  const { DuckDBInstance } = (await import('@duckdb/node-api')).default as unknown as DuckApi;
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run(`SET temp_directory = ${sqlString(spill)}`);
    await conn.run(`SET memory_limit = ${sqlString(memory)}`);
    return await fn(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
    await rm(spill, { recursive: true, force: true });
  }
}

/**
 * withDuck for a reader with work of its own before its first query (rfm's pass over the export,
 * which inflates a gzip file): `fn` gets `connect`, which loads and opens DuckDB on its first call
 * (about 0.1–0.15 s, most of it on the main thread) — after that work has started rather than
 * before it; never, if `fn` fails first. The database is closed, and its spill folder removed,
 * once `fn` has settled.
 */
export async function withDuckSoon<T>(fn: (connect: () => Promise<DuckDBConnection>) => Promise<T>): Promise<T> {
  let session: Promise<void> | undefined;
  let conn: Promise<DuckDBConnection> | undefined;
  let release!: () => void;
  const done = new Promise<void>((r) => {
    release = r;
  });
  const connect = () => {
    conn ??= new Promise<DuckDBConnection>((resolve, reject) => {
      // withDuck keeps the connection open until `done`, i.e. until fn has settled
      session = withDuck(async (c) => {
        resolve(c);
        await done;
      });
      session.catch(reject);
    });
    return conn;
  };
  try {
    return await fn(connect);
  } finally {
    release();
    await session?.catch(() => {});
  }
}

/** Rows as plain objects (JSON-safe values: BIGINT → string, DOUBLE → number). */
export async function queryObjects(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}

export async function run(conn: DuckDBConnection, sql: string): Promise<void> {
  await conn.run(sql);
}

/** DuckDB's own message, first line, without its "… Error: " prefix noise kept short. */
export function duckMessage(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  // each line cut short: DuckDB quotes the offending line whole ("Original Line: …"), which would
  // push its reason ("Maximum line size …") out of the message
  const cut = (l: string) =>
    l.length > 160 ? `${l.slice(0, 160)}… (${l.length.toLocaleString('en-US')} characters)` : l;
  return msg
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, 3)
    .map(cut)
    .join(' ')
    .slice(0, 600);
}

/** Any DuckDB failure while reading `file` → INVALID_INPUT naming the file; RfmErrors pass through. */
export function asReadError(e: unknown, file: string, what: string): RfmError {
  if (isRfmError(e)) return e;
  return new RfmError('INVALID_INPUT', `cannot read ${what} ${file}: ${duckMessage(e)}`, { cause: e });
}

/** Numbers from JSON rows: counts come back as strings (BIGINT), sums as numbers. */
export function num(v: unknown): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : Number(v);
}

import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { RfmError, isRfmError } from '@rfm/shared';
import { sqlString } from './sql.js';

const require = createRequire(import.meta.url);

/**
 * One throwaway in-memory DuckDB per import: it streams the file, aggregates with all cores and
 * spills if it must; only per-customer rows ever reach JS.
 */
export async function withDuck<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  // Spill files go to a private temp dir (DuckDB's default is `.tmp` in the working directory).
  const spill = await mkdtemp(join(tmpdir(), 'rfm-duckdb-'));
  // Loaded on first use, like tfjs: `rfm models …` never needs the native DuckDB library.
  const { DuckDBInstance } = require('@duckdb/node-api') as typeof import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run(`SET temp_directory = ${sqlString(spill)}`);
    return await fn(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
    await rm(spill, { recursive: true, force: true });
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

import { stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { RfmError } from '@rfm/shared';
import { queryObjects } from './duck.js';
import { sqlString } from './sql.js';

export type SourceFormat = 'csv' | 'csv.gz' | 'parquet';

export interface ColumnInfo {
  name: string;
  /** DuckDB type name, e.g. VARCHAR, DOUBLE, TIMESTAMP */
  type: string;
}

/** Format from the file name; DuckDB sniffs the delimiter and decompresses gzip itself. */
export function detectFormat(path: string): SourceFormat {
  const name = basename(path).toLowerCase();
  if (name.endsWith('.parquet') || name.endsWith('.pq')) return 'parquet';
  if (/\.(csv|tsv|txt)\.gz$/.test(name)) return 'csv.gz';
  if (/\.(csv|tsv|txt)$/.test(name)) return 'csv';
  throw new RfmError('UNSUPPORTED', `unsupported file type "${basename(path)}": expected .csv, .csv.gz (or .tsv, .txt, gzipped too) or .parquet`, {
    issues: [{ path: 'file', message: 'unknown extension', expected: '.csv, .csv.gz, .tsv, .txt, .parquet', found: basename(path) }],
  });
}

/**
 * The table expression DuckDB reads. CSV is read as text (all_varchar) so that a bad value in
 * one row is counted under a drop reason later instead of failing the whole read.
 */
export function sourceSql(path: string, format: SourceFormat): string {
  return format === 'parquet' ? `read_parquet(${sqlString(path)})` : `read_csv(${sqlString(path)}, header = true, all_varchar = true)`;
}

export async function describeSource(conn: DuckDBConnection, src: string): Promise<ColumnInfo[]> {
  const rows = await queryObjects(conn, `DESCRIBE SELECT * FROM ${src}`);
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

export interface FileInfo {
  file: string;
  bytes: number;
  sha256: string;
}

/** Existence and size first, so a missing or empty file gets a plain message, not a DuckDB one. */
export async function checkFile(path: string, what: string): Promise<number> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new RfmError('INVALID_INPUT', `${what} ${path} is not a file`);
    size = s.size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new RfmError('NOT_FOUND', `${what} not found: ${path}`);
    throw e;
  }
  if (size === 0) throw new RfmError('INVALID_INPUT', `${what} ${path} is empty (0 bytes)`);
  return size;
}

/** sha256 of the file's bytes, streamed (exports can be larger than memory). */
export async function fileInfo(path: string): Promise<FileInfo> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { file: basename(path), bytes, sha256: hash.digest('hex') };
}

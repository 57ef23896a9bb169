import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { outFormat, sqlString, withDuck } from '@rfm/ingest';
import { RfmError } from '@rfm/shared';
import { segmentMatches, shownName } from './labels.js';
import { OUTLIER_UNKNOWN, OUTLIER_YES, type CustomerRows } from './types.js';

export const CUSTOMER_COLUMNS = [
  'cid',
  'recency',
  'frequency',
  'monetary',
  'r_score',
  'f_score',
  'm_score',
  'cluster',
  'segment',
  'distance',
  'outlier',
  'previous_segment',
  'segment_since',
] as const;

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * The clusters a `--segment` word selects (a segment's name, catalogue key or catalogue name), or
 * null for all; a word that names no segment is NOT_FOUND naming it and listing the segments.
 */
export function selectClusters(rows: CustomerRows, segment: string | undefined): Set<number> | null {
  if (segment === undefined) return null;
  const hit = new Set<number>();
  rows.segmentNames.forEach((name, c) => {
    if (segmentMatches(segment, name, rows.segmentKeys[c]!)) hit.add(c);
  });
  if (!hit.size)
    throw new RfmError(
      'NOT_FOUND',
      `no segment "${segment}" in this run; its segments: ${rows.segmentNames.map((n, c) => shownName(n, rows.segmentKeys[c]!)).join(', ')}`,
      { issues: [{ path: 'segment', message: 'unknown segment', found: segment.slice(0, 64) }] },
    );
  return hit;
}

/**
 * The scored customers as CSV text, header first, in chunks of a few thousand rows (a million
 * customers never sit in one string). previous_segment / segment_since are empty when the run
 * has no history. The one CSV the CLI and the HTTP route both write.
 */
export function* customersCsv(
  rows: CustomerRows,
  opts: { segment?: string; chunkRows?: number } = {},
): Generator<string> {
  const c = rows.customers;
  const only = selectClusters(rows, opts.segment);
  const names = rows.segmentNames.map(csvField);
  const h = rows.history ?? null;
  const step = opts.chunkRows ?? 4096;
  let out = `${CUSTOMER_COLUMNS.join(',')}\n`;
  let inChunk = 0;
  for (let i = 0; i < c.cid.length; i++) {
    const cl = c.cluster[i]!;
    if (only && !only.has(cl)) continue;
    const o = c.outlier[i]!;
    const prev = h?.previousSegment[i];
    const since = h?.segmentSince[i];
    const flag = o === OUTLIER_UNKNOWN ? '' : o === OUTLIER_YES ? 'true' : 'false';
    out +=
      `${csvField(c.cid[i]!)},${c.recency[i]},${c.frequency[i]},${c.monetary[i]},` +
      `${c.rScore[i]},${c.fScore[i]},${c.mScore[i]},${cl},${names[cl]},` +
      `${c.distance[i]!.toFixed(6)},${flag},${prev ? csvField(prev) : ''},${since ?? ''}\n`;
    if (++inChunk >= step) {
      yield out;
      out = '';
      inChunk = 0;
    }
  }
  if (out) yield out;
}

export type CustomersFormat = 'csv' | 'parquet';

/** `--out` file name → format, by the rule `rfm features` uses; anything else is refused naming the flag. */
export function customersFormat(path: string): CustomersFormat {
  return outFormat(path);
}

/** Write the customers to a CSV or Parquet file (Parquet by DuckDB from a private temporary CSV). */
export async function writeCustomersFile(
  path: string,
  rows: CustomerRows,
  format: CustomersFormat = customersFormat(path),
  opts: { segment?: string } = {},
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  if (format === 'csv') {
    await pipeline(Readable.from(customersCsv(rows, opts)), createWriteStream(path));
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'rfm-customers-'));
  try {
    const csv = join(dir, 'customers.csv');
    await pipeline(Readable.from(customersCsv(rows, opts)), createWriteStream(csv));
    const types =
      "{'cid': 'VARCHAR', 'recency': 'DOUBLE', 'frequency': 'DOUBLE', 'monetary': 'DOUBLE', 'r_score': 'UTINYINT', " +
      "'f_score': 'UTINYINT', 'm_score': 'UTINYINT', 'cluster': 'USMALLINT', 'segment': 'VARCHAR', 'distance': 'DOUBLE', " +
      "'outlier': 'BOOLEAN', 'previous_segment': 'VARCHAR', 'segment_since': 'DATE'}";
    await withDuck(async (conn) => {
      try {
        await conn.run(
          `COPY (SELECT * FROM read_csv(${sqlString(csv)}, header = true, delim = ',', quote = '"', escape = '"', columns = ${types})) ` +
            `TO ${sqlString(path)} (FORMAT parquet)`,
        );
      } catch (e) {
        const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
        throw new RfmError('INVALID_INPUT', `cannot write ${path}: ${why}`, { cause: e });
      }
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

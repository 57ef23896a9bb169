import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { outFormat, sqlString, withDuck } from '@rfm/ingest';
import { RfmError } from '@rfm/shared';
import { segmentMatches, shownName } from './labels.js';
import {
  CONSENT_NO,
  CONSENT_YES,
  OUTLIER_UNKNOWN,
  OUTLIER_YES,
  type CustomerRows,
  type ScoredCustomers,
} from './types.js';

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

/**
 * The columns of a run whose export carried customer attributes, in the order email tools map
 * them: who, whether they may be mailed, which list, then the RFM facts. `consent_filter` says on
 * every row which list the file is (a comment line would break the tools' import).
 */
export const ATTRIBUTE_CUSTOMER_COLUMNS = [
  'cid',
  'email',
  'name',
  'consent',
  'consent_filter',
  'segment',
  'previous_segment',
  'segment_since',
  'recency',
  'frequency',
  'monetary',
  'r_score',
  'f_score',
  'm_score',
  'cluster',
  'distance',
  'outlier',
] as const;

/** `consent_filter` values: the list holds consented customers only, or everyone (the toggle). */
export const CONSENTED_ONLY = 'consented_only';
export const ALL_CUSTOMERS = 'all_customers';

/** Options of every list writer: the segment, and whether people without consent are included. */
export interface ListOptions {
  segment?: string;
  /** include customers who did not consent (or whose consent is not known); default false */
  includeUnconsented?: boolean;
}

/** Whether a list of these customers leaves out people without consent (only when the export had consent). */
export function filtersConsent(c: ScoredCustomers, opts: ListOptions = {}): boolean {
  return c.consent !== undefined && opts.includeUnconsented !== true;
}

/** File-name suffix saying which list a file is: `-consented` or `-incl-unconsented` (none without consent data). */
export function listSuffix(c: ScoredCustomers, opts: ListOptions = {}): string {
  if (!c.consent) return '';
  return filtersConsent(c, opts) ? '-consented' : '-incl-unconsented';
}

/** Whether customer i is on a list written with these options (consent only; segments apart). */
export function consentAllows(c: ScoredCustomers, i: number, opts: ListOptions = {}): boolean {
  return !filtersConsent(c, opts) || c.consent![i] === CONSENT_YES;
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * A text cell from the export (name, e-mail) as a spreadsheet must not run it: one starting with
 * = + - @ (or a tab / CR) gets a leading apostrophe (OWASP CSV injection), then CSV quoting.
 */
function textField(s: string): string {
  return csvField(/^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(s) ? `'${s}` : s);
}

const consentText = (v: number | undefined) => (v === CONSENT_YES ? 'yes' : v === CONSENT_NO ? 'no' : '');

/** The attribute cells of customer i (email, name, consent, consent_filter), present ones only. */
function attributeCells(c: ScoredCustomers, i: number, filter: string): string {
  return (
    `${textField(c.email?.[i] ?? '')},${textField(c.name?.[i] ?? '')},` +
    `${c.consent ? consentText(c.consent[i]) : ''},${c.consent ? filter : ''}`
  );
}

const hasAttributes = (c: ScoredCustomers) => c.email !== undefined || c.name !== undefined || c.consent !== undefined;

/** The header of a customers file of these customers. */
export function customerColumns(c: ScoredCustomers): readonly string[] {
  return hasAttributes(c) ? ATTRIBUTE_CUSTOMER_COLUMNS : CUSTOMER_COLUMNS;
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
export function* customersCsv(rows: CustomerRows, opts: ListOptions & { chunkRows?: number } = {}): Generator<string> {
  const c = rows.customers;
  const only = selectClusters(rows, opts.segment);
  const names = rows.segmentNames.map(csvField);
  const h = rows.history ?? null;
  const step = opts.chunkRows ?? 4096;
  const attrs = hasAttributes(c);
  const filter = filtersConsent(c, opts) ? CONSENTED_ONLY : ALL_CUSTOMERS;
  let out = `${customerColumns(c).join(',')}\n`;
  let inChunk = 0;
  for (let i = 0; i < c.cid.length; i++) {
    const cl = c.cluster[i]!;
    if (only && !only.has(cl)) continue;
    if (!consentAllows(c, i, opts)) continue;
    const o = c.outlier[i]!;
    const prev = h?.previousSegment[i];
    const since = h?.segmentSince[i];
    const flag = o === OUTLIER_UNKNOWN ? '' : o === OUTLIER_YES ? 'true' : 'false';
    const rfm =
      `${c.recency[i]},${c.frequency[i]},${c.monetary[i]},` + `${c.rScore[i]},${c.fScore[i]},${c.mScore[i]},${cl}`;
    out += attrs
      ? `${csvField(c.cid[i]!)},${attributeCells(c, i, filter)},${names[cl]},${prev ? csvField(prev) : ''},${since ?? ''},` +
        `${rfm},${c.distance[i]!.toFixed(6)},${flag}\n`
      : `${csvField(c.cid[i]!)},${rfm},${names[cl]},` +
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

/** Parquet column types of the customers file (any column not named here is text). */
const PARQUET_TYPES: Record<string, string> = {
  recency: 'DOUBLE',
  frequency: 'DOUBLE',
  monetary: 'DOUBLE',
  r_score: 'UTINYINT',
  f_score: 'UTINYINT',
  m_score: 'UTINYINT',
  cluster: 'USMALLINT',
  distance: 'DOUBLE',
  outlier: 'BOOLEAN',
  segment_since: 'DATE',
};

/** How many customers a list written with these options holds (for messages; counts what customersCsv writes). */
export function listedCount(rows: CustomerRows, opts: ListOptions = {}): number {
  const only = selectClusters(rows, opts.segment);
  const c = rows.customers;
  let n = 0;
  for (let i = 0; i < c.cid.length; i++) if ((!only || only.has(c.cluster[i]!)) && consentAllows(c, i, opts)) n++;
  return n;
}

/** One customer who moved between two runs' segments (transitionCustomers), `at` their index in the newer run. */
export interface Mover {
  cid: string;
  from: string;
  to: string;
  monetaryBefore: number;
  monetaryAfter: number;
  at: number;
}

/**
 * A transition list (who moved from one segment to another) as CSV: with the newer run's
 * attributes and its consent rule when it has them, like every other list.
 */
export function transitionsCsv(newer: ScoredCustomers, movers: readonly Mover[], opts: ListOptions = {}): string {
  const attrs = hasAttributes(newer);
  const filter = filtersConsent(newer, opts) ? CONSENTED_ONLY : ALL_CUSTOMERS;
  const head = attrs
    ? 'cid,email,name,consent,consent_filter,from,to,monetary_before,monetary_after'
    : 'cid,from,to,monetary_before,monetary_after';
  const lines = movers
    .filter((m) => consentAllows(newer, m.at, opts))
    .map(
      (m) =>
        `${csvField(m.cid)},${attrs ? `${attributeCells(newer, m.at, filter)},` : ''}${csvField(m.from)},${csvField(m.to)},` +
        `${m.monetaryBefore},${m.monetaryAfter}`,
    );
  return `${head}\n${lines.map((l) => `${l}\n`).join('')}`;
}

/** `--out` file name → format, by the rule `rfm features` uses; anything else is refused naming the flag. */
export function customersFormat(path: string): CustomersFormat {
  return outFormat(path);
}

/** Write the customers to a CSV or Parquet file (Parquet by DuckDB from a private temporary CSV). */
export async function writeCustomersFile(
  path: string,
  rows: CustomerRows,
  format: CustomersFormat = customersFormat(path),
  opts: ListOptions = {},
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
    const types = `{${customerColumns(rows.customers)
      .map((col) => `'${col}': '${PARQUET_TYPES[col] ?? 'VARCHAR'}'`)
      .join(', ')}}`;
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

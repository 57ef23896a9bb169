import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { RfmError, isRfmError, type DataSummary } from '@rfm/shared';
import { sortByCid, type RfmTable } from './rfm-table.js';
import { readPurchaseRhythm } from './rhythm.js';
import { resolveColumns, type ColumnMapping, type ResolvedColumns } from './columns.js';
import { chooseDateFormat, DATE_FORMATS, isTemporalType, parseDateSql } from './dates.js';
import { asReadError, num, queryObjects, run, withDuck } from './duck.js';
import { customerSql, dateSql, invoiceSql, numberSql } from './expressions.js';
import {
  checkFile,
  describeSource,
  detectFormat,
  fileInfo,
  longLineInHead,
  MAX_LINE_BYTES,
  sourceSql,
} from './source.js';
import { sqlString } from './sql.js';

export interface ImportOptions {
  columns?: ColumnMapping;
  /** strptime format of the date column; auto-detected when absent */
  dateFormat?: string;
  /** snapshot date YYYY-MM-DD; default the day after the latest kept invoice date */
  asOf?: string;
}

/** Reasons a row is dropped, in the order the rules apply; each row counts under the first that fails. */
export const DROP_REASONS_QP = [
  'missing_customer',
  'cancelled',
  'missing_invoice',
  'unparsable_date',
  'unparsable_quantity',
  'quantity_not_positive',
  'unparsable_price',
  'price_not_positive',
] as const;
export const DROP_REASONS_AMOUNT = [
  'missing_customer',
  'cancelled',
  'missing_invoice',
  'unparsable_date',
  'unparsable_amount',
  'amount_not_positive',
] as const;

export interface ExportAggregate {
  summary: DataSummary;
  columns: ResolvedColumns;
  /** the strptime format used for text dates, 'ISO', or 'typed' when the file had timestamps */
  dateFormat: string;
}

/** The value checks in order, as SQL over the normalised columns q (quantity), p (price), a (amount). */
function valueChecks(cols: ResolvedColumns): { unparsable: string; notPositive: string; expr: string }[] {
  return cols.value.kind === 'quantity_price'
    ? [
        { unparsable: 'unparsable_quantity', notPositive: 'quantity_not_positive', expr: 'q' },
        { unparsable: 'unparsable_price', notPositive: 'price_not_positive', expr: 'p' },
      ]
    : [{ unparsable: 'unparsable_amount', notPositive: 'amount_not_positive', expr: 'a' }];
}

/**
 * Stage 1, the only pass over the file: normalise each row, classify it (0 no customer,
 * 1 cancelled, 2 no invoice, 3 candidate) and collapse candidates to one row per (customer,
 * invoice, raw date) with counts per value-rule outcome and the kept amount. Dates are parsed
 * afterwards on this far smaller table, so format detection needs no second read of the file.
 * Amounts are summed as DECIMAL (each line rounded to 1e-6): a float sum would depend on the
 * order threads deliver rows in, and the same export must always give the same model.
 */
function stage1Sql(src: string, cols: ResolvedColumns): string {
  const checks = valueChecks(cols);
  const v = cols.value;
  const values =
    v.kind === 'quantity_price'
      ? `${numberSql(v.quantity)} AS q, ${numberSql(v.price)} AS p`
      : `${numberSql(v.amount)} AS a`;
  const amountExpr = v.kind === 'quantity_price' ? 'q * p' : 'a';
  const filters: string[] = [];
  const passed: string[] = [];
  for (const c of checks) {
    const before = passed.length ? `${passed.join(' AND ')} AND ` : '';
    filters.push(`count(*) FILTER (WHERE ${before}${c.expr} IS NULL) AS ${c.unparsable}`);
    filters.push(`count(*) FILTER (WHERE ${before}${c.expr} <= 0) AS ${c.notPositive}`);
    passed.push(`${c.expr} > 0`);
  }
  const kept = passed.join(' AND ');
  return `CREATE TEMP TABLE rfm_inv AS
SELECT cls,
       CASE WHEN cls = 3 THEN cust END AS cust,
       CASE WHEN cls = 3 THEN inv END AS inv,
       CASE WHEN cls = 3 THEN d END AS d,
       count(*) AS n,
       ${filters.join(',\n       ')},
       count(*) FILTER (WHERE ${kept}) AS kept,
       sum(CAST(${amountExpr} AS DECIMAL(38, 6))) FILTER (WHERE ${kept}) AS amount
FROM (
  SELECT CASE WHEN cust IS NULL THEN 0 WHEN starts_with(inv, 'C') THEN 1 WHEN inv IS NULL THEN 2 ELSE 3 END AS cls, *
  FROM (SELECT ${customerSql(cols.customer)} AS cust, ${invoiceSql(cols.invoice)} AS inv, ${dateSql(cols.date)} AS d, ${values} FROM ${src})
)
GROUP BY ALL`;
}

/** Pick the date format: the given one, or the candidate that parses the most rows. */
async function resolveDateFormat(
  conn: DuckDBConnection,
  cols: ResolvedColumns,
  given: string | undefined,
  file: string,
): Promise<string> {
  if (isTemporalType(cols.date.type)) return 'typed';
  const candidates = given ? [given] : [...DATE_FORMATS];
  const sel = candidates.map((f, i) => `sum(n) FILTER (WHERE ${parseDateSql('d', f)} IS NOT NULL) AS f${i}`).join(', ');
  const [row] = await queryObjects(
    conn,
    `SELECT sum(n) AS total, ${sel}, min(d) AS example FROM (SELECT d, sum(n) AS n FROM rfm_inv WHERE cls = 3 AND d IS NOT NULL GROUP BY d)`,
  );
  const total = num(row?.total);
  if (total === 0) return candidates[0]!; // no candidate rows with a date: the empty-data error says why
  const counts = candidates.map((format, i) => ({ format, parsed: num(row?.[`f${i}`]) }));
  const best = chooseDateFormat(counts);
  const example = String(row?.example);
  if (!best) {
    throw new RfmError(
      'INVALID_INPUT',
      given
        ? `${file}: --date-format "${given}" parses none of the dates in column ${cols.date.name} (e.g. "${example}")`
        : `${file}: cannot recognise the dates in column ${cols.date.name} (e.g. "${example}"); tried ${DATE_FORMATS.join(', ')}; pass --date-format with a strptime format`,
      {
        issues: [
          {
            path: `column ${cols.date.name}`,
            message: 'unrecognised date format',
            expected: given ?? DATE_FORMATS.join(' | '),
            found: example,
          },
        ],
      },
    );
  }
  return best.format;
}

const ISO_SECONDS = '%Y-%m-%dT%H:%M:%S';

/**
 * Read an export and leave the per-customer RFM table in temp table `rfm` (cid, recency,
 * frequency, monetary) of `conn`. Returns the data summary. Zero usable rows is an error.
 */
export async function aggregateExport(
  conn: DuckDBConnection,
  path: string,
  opts: ImportOptions = {},
): Promise<ExportAggregate> {
  const format = detectFormat(path);
  await checkFile(path, 'export');
  const name = path.split(/[\\/]/).pop() ?? path;
  // (gzip: the full pass below inflates the whole file before DuckDB sees it, and finds long lines)
  if (format === 'csv') {
    const long = await longLineInHead(path);
    if (long) throw longLineError(name, long);
  }
  // One pass beside DuckDB's: sha256, plus (CSV) the longest line and (gzip) a whole stream. A
  // problem found there stops DuckDB at once: a 64 MB line takes it minutes to reject.
  let reading = true;
  // gzip: DuckDB would inflate it on a single thread and then read, parse and group on that same
  // thread; Node inflates it (in this same pass) to a private plain copy that DuckDB reads with all
  // cores — measured on the UCI export: 1.6 s of one core → 0.25 s inflate + a parallel read.
  const tmp = format === 'csv.gz' ? await mkdtemp(join(tmpdir(), 'rfm-inflate-')) : undefined;
  const readPath = tmp ? join(tmp, name.replace(/\.gz$/i, '') || 'export.csv') : path;
  const hashing = fileInfo(path, {
    gzip: format === 'csv.gz',
    lines: format !== 'parquet',
    ...(tmp ? { inflateTo: readPath } : {}),
  });
  const fileProblem: Promise<RfmError | null> = hashing.then(
    (i) => (i.longLine ? longLineError(name, i.longLine) : null),
    (e: unknown) => (isRfmError(e) ? e : null),
  );
  void fileProblem.then((p) => {
    if (p && reading) conn.interrupt();
  });
  const src = sourceSql(readPath, tmp ? 'csv' : format);
  try {
    if (tmp) {
      const problem = await fileProblem; // the plain copy is complete (or the file is broken)
      if (problem) throw problem;
    }
    // Row order is irrelevant here (the result is sorted), and not keeping it saves memory.
    await run(conn, 'SET preserve_insertion_order = false');
    const cols = resolveColumns(await describeSource(conn, src), opts.columns, name);
    await run(conn, stage1Sql(src, cols));
    const dateFormat = await resolveDateFormat(conn, cols, opts.dateFormat, name);
    const tsExpr = dateFormat === 'typed' ? 'd' : parseDateSql('d', dateFormat);
    await run(conn, `CREATE TEMP TABLE rfm_tx AS SELECT *, ${tsExpr} AS ts FROM rfm_inv WHERE cls = 3`);

    const checks = valueChecks(cols);
    const reasons = cols.value.kind === 'quantity_price' ? DROP_REASONS_QP : DROP_REASONS_AMOUNT;
    const valueSums = checks.flatMap((c) => [
      `sum(${c.unparsable}) FILTER (WHERE ts IS NOT NULL) AS ${c.unparsable}`,
      `sum(${c.notPositive}) FILTER (WHERE ts IS NOT NULL) AS ${c.notPositive}`,
    ]);
    const [counts] = await queryObjects(
      conn,
      `SELECT (SELECT sum(n) FROM rfm_inv) AS rows_read,
              (SELECT sum(n) FROM rfm_inv WHERE cls = 0) AS missing_customer,
              (SELECT sum(n) FROM rfm_inv WHERE cls = 1) AS cancelled,
              (SELECT sum(n) FROM rfm_inv WHERE cls = 2) AS missing_invoice,
              sum(n) FILTER (WHERE ts IS NULL) AS unparsable_date,
              ${valueSums.join(', ')},
              sum(kept) FILTER (WHERE ts IS NOT NULL) AS rows_kept,
              strftime(min(ts) FILTER (WHERE kept > 0), '${ISO_SECONDS}') AS first_invoice,
              strftime(max(ts) FILTER (WHERE kept > 0), '${ISO_SECONDS}') AS last_invoice,
              strftime(CAST(max(ts) FILTER (WHERE kept > 0) AS DATE), '%Y-%m-%d') AS last_day
       FROM rfm_tx`,
    );
    const c = counts ?? {};
    const rowsRead = num(c.rows_read);
    const rowsKept = num(c.rows_kept);
    const dropped: Record<string, number> = {};
    for (const r of reasons) dropped[r] = num(c[r]);
    if (rowsRead === 0) throw new RfmError('INVALID_INPUT', `${name} has a header but no data rows`);
    if (rowsKept === 0) {
      const why = Object.entries(dropped)
        .filter(([, v]) => v > 0)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      throw new RfmError('INVALID_INPUT', `${name}: no usable rows: all ${rowsRead} rows were dropped (${why})`, {
        details: { rows_read: rowsRead, rows_dropped: dropped },
      });
    }
    const lastDay = String(c.last_day);
    const snapshot = opts.asOf ?? addDays(lastDay, 1);
    if (snapshot < lastDay)
      throw new RfmError(
        'INVALID_INPUT',
        `--as-of ${snapshot} is before the last invoice date ${lastDay} in ${name}; recency would be negative. Use ${lastDay} or later`,
        {
          issues: [
            { path: '--as-of', message: 'before the last invoice', expected: `${lastDay} or later`, found: snapshot },
          ],
        },
      );

    await run(
      conn,
      `CREATE TEMP TABLE rfm AS
       SELECT cust AS cid,
              date_diff('day', CAST(max(ts) AS DATE), DATE ${sqlString(snapshot)}) AS recency,
              count(DISTINCT inv) AS frequency,
              CAST(sum(amount) AS DOUBLE) AS monetary,
              date_diff('day', CAST(min(ts) AS DATE), CAST(max(ts) AS DATE)) AS active_days
       FROM rfm_tx WHERE ts IS NOT NULL AND kept > 0
       GROUP BY cust`,
    );
    const purchaseRhythm = await readPurchaseRhythm(conn); // for naming: see rhythm.ts
    const [{ customers } = {}] = await queryObjects(conn, 'SELECT count(*) AS customers FROM rfm');
    reading = false;
    const problem = await fileProblem;
    if (problem) throw problem;
    const info = await hashing;
    const summary: DataSummary = {
      source: { file: info.file, sha256: info.sha256, bytes: info.bytes, format },
      rows_read: rowsRead,
      rows_kept: rowsKept,
      rows_dropped: dropped,
      customers: num(customers),
      first_invoice: c.first_invoice === null ? null : String(c.first_invoice),
      last_invoice: c.last_invoice === null ? null : String(c.last_invoice),
      snapshot_date: snapshot,
      purchase_rhythm: purchaseRhythm,
    };
    return { summary, columns: cols, dateFormat };
  } catch (e) {
    reading = false;
    // the file pass names the cause better than what DuckDB stumbled on (or was interrupted with)
    // DuckDB names the file it read: the user's, not our plain copy
    const named = tmp && e instanceof Error && !isRfmError(e) ? new Error(e.message.split(readPath).join(path)) : e;
    throw (await fileProblem) ?? asReadError(named, path, 'export');
  } finally {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
}

function longLineError(name: string, l: { line: number; bytes: number }): RfmError {
  return new RfmError(
    'INVALID_INPUT',
    `${name}: line ${l.line} is longer than ${MAX_LINE_BYTES.toLocaleString('en-US')} bytes (at least ${l.bytes.toLocaleString('en-US')}); an export line holds one transaction. Is this the right file?`,
    {
      issues: [
        {
          path: `line ${l.line}`,
          message: 'line too long',
          expected: `at most ${MAX_LINE_BYTES} bytes`,
          found: `${l.bytes}+ bytes`,
        },
      ],
    },
  );
}

/** YYYY-MM-DD + days, in UTC (calendar arithmetic, no time zones involved). */
export function addDays(day: string, days: number): string {
  const t = Date.parse(`${day}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** The `rfm` temp table → typed arrays, sorted by customer id so results never depend on thread timing. */
export async function readRfmTable(conn: DuckDBConnection): Promise<RfmTable> {
  const reader = await conn.runAndReadAll(
    'SELECT cid, CAST(recency AS DOUBLE) AS r, CAST(frequency AS DOUBLE) AS f, CAST(monetary AS DOUBLE) AS m FROM rfm',
  );
  const [cid, r, f, m] = reader.getColumnsJS() as [string[], number[], number[], number[]];
  const n = cid.length;
  const raw = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    raw[i * 3] = r[i]!;
    raw[i * 3 + 1] = f[i]!;
    raw[i * 3 + 2] = m[i]!;
  }
  return sortByCid({ cids: cid.map(String), raw });
}

/** Read an export into the RFM table and its data summary. */
export async function readExport(
  path: string,
  opts: ImportOptions = {},
): Promise<{ table: RfmTable; summary: DataSummary; dateFormat: string }> {
  return withDuck(async (conn) => {
    const agg = await aggregateExport(conn, path, opts);
    return { table: await readRfmTable(conn), summary: agg.summary, dateFormat: agg.dateFormat };
  });
}

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { RfmError, isRfmError, type DataSummary } from '@rfm/shared';
import { CONSENT_NO, CONSENT_UNKNOWN, CONSENT_YES, sortByCid, type RfmTable } from './rfm-table.js';
import { readPurchaseRhythm } from './rhythm.js';
import { resolveColumns, type ColumnMapping, type ResolvedColumns } from './columns.js';
import {
  attributeInvoiceSql,
  attributeRowSql,
  attributesNote,
  attributesTableSql,
  badConsentError,
  consentSql,
  resolveAttributes,
  type AttributeColumns,
  type AttributeRequest,
} from './attributes.js';
import {
  chooseDateFormat,
  DATE_FORMATS,
  FIRST_FORMATS,
  isTemporalType,
  OFFSET_RE,
  parseDateSql,
  swappedDayMonth,
} from './dates.js';
import { excerpt, findBadLine, inferDelimiter } from './dialect.js';
import { asReadError, duckMessage, num, queryObjects, run, withDuckSoon } from './duck.js';
import {
  detectEncoding,
  notTextReason,
  parseEncoding,
  readHead,
  writeUtf8Copy,
  type DetectedEncoding,
} from './encoding.js';
import { customerSql, dateSql, invoiceSql, numberSql } from './expressions.js';
import { detectLayout, layoutSourceSql, type Layout } from './layouts.js';
import {
  chooseDecimal,
  mergeEvidence,
  numberEvidence,
  styledNumberSql,
  type DecimalMark,
  type NumberStyle,
} from './numbers.js';
import {
  checkFile,
  describeSource,
  detectFormat,
  fileInfo,
  longLineInHead,
  MAX_LINE_BYTES,
  PlainSample,
  sniffedCsv,
  sourceSql,
  type ColumnInfo,
  type SourceFormat,
  type FilePassProgress,
} from './source.js';
import { sqlIdent, sqlString } from './sql.js';
import { xlsxToCsv } from './xlsx.js';

export type FrequencyBasis = 'invoices' | 'days' | 'rows';
export const FREQUENCY_BASES = ['invoices', 'days', 'rows'] as const;

export interface ImportOptions {
  columns?: ColumnMapping;
  /** strptime format of the date column; auto-detected when absent */
  dateFormat?: string;
  /** snapshot date YYYY-MM-DD; default the day after the latest kept invoice date */
  asOf?: string;
  /** what frequency counts; default invoices when there is an invoice column, else purchase days */
  frequency?: FrequencyBasis;
  /** `--encoding` value (utf-8, utf-16, windows-1252, latin-1, …); detected when absent */
  encoding?: string;
  /** decimal mark of number columns; detected when absent */
  decimal?: DecimalMark;
  /** .xlsx: the sheet to read (default the first) */
  sheet?: string;
  /**
   * Read customer attributes (e-mail, name, consent) too: the recognised columns plus any mapped
   * here; absent (training, `rfm features`) reads none, so those paths cost nothing more.
   */
  attributes?: AttributeRequest;
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

/** How many rejected rows are shown per reason. */
export const REJECTED_SAMPLES = 3;

export interface ExportAggregate {
  summary: DataSummary;
  columns: ResolvedColumns;
  /** the strptime format used for text dates, 'ISO', or 'typed' when the file had timestamps */
  dateFormat: string;
  /** the attribute columns read (temp table `rfm_attrs` holds their values); absent when none */
  attributes?: AttributeColumns;
}

const FREQUENCY_NOTES: Record<FrequencyBasis, string> = {
  invoices: 'frequency = distinct invoices',
  days: 'frequency = distinct purchase days',
  rows: 'frequency = rows kept (one per order line or order)',
};

/** The value checks in order, as SQL over the normalised columns q (quantity), p (price), a (amount). */
function valueChecks(cols: ResolvedColumns): { unparsable: string; notPositive: string; expr: string; raw: string }[] {
  return cols.value.kind === 'quantity_price'
    ? [
        { unparsable: 'unparsable_quantity', notPositive: 'quantity_not_positive', expr: 'q', raw: 'rq' },
        { unparsable: 'unparsable_price', notPositive: 'price_not_positive', expr: 'p', raw: 'rp' },
      ]
    : [{ unparsable: 'unparsable_amount', notPositive: 'amount_not_positive', expr: 'a', raw: 'ra' }];
}

interface RowShape {
  cols: ResolvedColumns;
  styles: Map<string, NumberStyle>;
  /** SQL true when the row's order is excluded by its platform status */
  excluded: string | undefined;
  /** the UCI rule: invoice numbers starting with C are cancellations */
  cPrefix: boolean;
  /** customer attribute columns to carry through stage 1 (only when asked for and present) */
  attrs?: AttributeColumns;
}

function numberFor(c: ColumnInfo, shape: RowShape): string {
  const style = shape.styles.get(c.name);
  return style && (style.clean || !/^VARCHAR$/i.test(c.type))
    ? `CASE WHEN isfinite(${styledNumberSql(c.name, style)}) THEN ${styledNumberSql(c.name, style)} END`
    : numberSql(c);
}

/** One row normalised (cust, inv, d, q/p or a) and classified (cls 0 no customer, 1 cancelled, 2 no invoice, 3 candidate). */
function classifiedSql(src: string, shape: RowShape, raw: boolean): string {
  const { cols } = shape;
  const v = cols.value;
  const values =
    v.kind === 'quantity_price'
      ? `${numberFor(v.quantity, shape)} AS q, ${numberFor(v.price, shape)} AS p`
      : `${numberFor(v.amount, shape)} AS a`;
  const rawValues = !raw
    ? ''
    : v.kind === 'quantity_price'
      ? `, CAST(${sqlIdent(v.quantity.name)} AS VARCHAR) AS rq, CAST(${sqlIdent(v.price.name)} AS VARCHAR) AS rp`
      : `, CAST(${sqlIdent(v.amount.name)} AS VARCHAR) AS ra`;
  const inv = cols.invoice ? invoiceSql(cols.invoice) : 'CAST(NULL AS VARCHAR)';
  const cancel = [shape.cPrefix && cols.invoice ? "starts_with(inv, 'C')" : '', shape.excluded ? 'excl' : '']
    .filter(Boolean)
    .join(' OR ');
  const excl = shape.excluded ? ', _rfm_excluded AS excl' : '';
  return (
    `SELECT CASE WHEN cust IS NULL THEN 0 ${cancel ? `WHEN ${cancel} THEN 1 ` : ''}${cols.invoice ? 'WHEN inv IS NULL THEN 2 ' : ''}ELSE 3 END AS cls, *
  FROM (SELECT ${customerSql(cols.customer)} AS cust, ${inv} AS inv, ${dateSql(cols.date)} AS d, ` +
    `${values}${excl}${rawValues}${raw ? `, CAST(${sqlIdent(cols.customer.name)} AS VARCHAR) AS rc` : ''}` +
    `${!raw && shape.attrs ? attributeRowSql(shape.attrs) : ''} FROM ${src})`
  );
}

/**
 * Stage 1, the only pass over the file: normalise each row, classify it and collapse candidates
 * to one row per (customer, invoice, raw date) with counts per value-rule outcome and the kept
 * amount. Dates are parsed afterwards on this far smaller table, so format detection needs no
 * second read of the file. Amounts are summed as DECIMAL (each line rounded to 1e-6): a float sum
 * would depend on the order threads deliver rows in, and the same export must always give the
 * same model.
 */
function stage1Sql(src: string, shape: RowShape): string {
  const checks = valueChecks(shape.cols);
  const amountExpr = shape.cols.value.kind === 'quantity_price' ? 'q * p' : 'a';
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
       sum(CAST(${amountExpr} AS DECIMAL(38, 6))) FILTER (WHERE ${kept}) AS amount${shape.attrs ? attributeInvoiceSql(shape.attrs) : ''}
FROM (${classifiedSql(src, shape, false)})
GROUP BY ALL`;
}

/** How many distinct dates the fast path's sample holds. */
const FORMAT_SAMPLE = 2000;

/**
 * The fast path of the date-format choice (see resolveDateFormat): counts of the first usual
 * format that reads every date, and of its day/month twin; undefined when there is none.
 */
async function quickFormat<T extends { total: number; counts: { format: string; parsed: number }[] }>(
  conn: DuckDBConnection,
  offsets: boolean,
  tryFormats: (candidates: string[]) => Promise<T>,
): Promise<T | undefined> {
  const usual = DATE_FORMATS.slice(0, FIRST_FORMATS);
  const sel = usual.map((f, i) => `count(*) FILTER (WHERE ${parseDateSql('d', f, offsets)} IS NOT NULL) AS f${i}`);
  const [row] = await queryObjects(
    conn,
    `SELECT count(*) AS total, ${sel.join(', ')} FROM (SELECT d FROM rfm_days LIMIT ${FORMAT_SAMPLE})`,
  );
  const sampled = num(row?.total);
  const first = usual.findIndex((_, i) => sampled > 0 && num(row?.[`f${i}`]) === sampled);
  if (first < 0) return undefined;
  const format = usual[first]!;
  const twin = swappedDayMonth(format);
  const full = await tryFormats(twin ? [format, twin] : [format]);
  return full.total > 0 && full.counts[0]!.parsed === full.total ? full : undefined;
}

/** Pick the date format: the given one, or the candidate that parses the most rows. */
async function resolveDateFormat(
  conn: DuckDBConnection,
  cols: ResolvedColumns,
  given: string | undefined,
  file: string,
): Promise<{ format: string; offsets: boolean; note?: string }> {
  if (isTemporalType(cols.date.type)) return { format: 'typed', offsets: false };
  await run(
    conn,
    'CREATE TEMP TABLE rfm_days AS SELECT d, sum(n) AS n FROM rfm_inv WHERE cls = 3 AND d IS NOT NULL GROUP BY d',
  );
  const [o] = await queryObjects(conn, `SELECT bool_or(regexp_matches(d, ${OFFSET_RE})) AS offsets FROM rfm_days`);
  const offsets = o?.offsets === true;
  const tryFormats = async (candidates: string[]) => {
    const sel = candidates
      .map((f, i) => `sum(n) FILTER (WHERE ${parseDateSql('d', f, offsets)} IS NOT NULL) AS f${i}`)
      .join(', ');
    const [row] = await queryObjects(conn, `SELECT sum(n) AS total, ${sel}, min(d) AS example FROM rfm_days`);
    return {
      total: num(row?.total),
      example: String(row?.example),
      counts: candidates.map((format, i) => ({ format, parsed: num(row?.[`f${i}`]) })),
    };
  };
  // Fast path (try_strptime is the cost here: seven formats over every distinct date took 0.35 s
  // of CPU on the UCI export): a sample names the first usual format that reads all its dates;
  // when that one reads every date, no format can read more and earlier ones (which failed on the
  // sample) read fewer, so it is the choice the full count would make; only its day/month twin is
  // counted besides, for the note below. Otherwise the full count decides, as before.
  const quick = given ? undefined : await quickFormat(conn, offsets, tryFormats);
  // the usual formats first; the rest only when none of those reads every date
  let tried = quick ?? (await tryFormats(given ? [given] : DATE_FORMATS.slice(0, FIRST_FORMATS)));
  if (!given && tried.total > 0 && !tried.counts.some((c) => c.parsed === tried.total))
    tried = await tryFormats([...DATE_FORMATS]);
  const { total, example, counts } = tried;
  await run(conn, 'DROP TABLE rfm_days');
  if (total === 0) return { format: counts[0]!.format, offsets }; // no candidate rows with a date: the empty-data error says why
  const best = chooseDateFormat(counts);
  if (!best) {
    throw new RfmError(
      'INVALID_INPUT',
      given
        ? `${file}: --date-format "${given}" parses none of the dates in column ${cols.date.name} (e.g. "${example}")`
        : `${file}: cannot recognise the dates in column ${cols.date.name} (e.g. "${example}");` +
            ` tried ${DATE_FORMATS.join(', ')}; pass --date-format with a strptime format`,
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
  // every date reads both month-first and day-first (no day above 12): the UCI convention wins, said aloud
  const twin = given ? undefined : swappedDayMonth(best.format);
  const twinCount = twin ? counts.find((c) => c.format === twin)?.parsed : undefined;
  if (twin && twinCount === best.parsed)
    return {
      format: best.format,
      offsets,
      note:
        `every date in ${cols.date.name} reads both as ${best.format} and as ${twin};` +
        ` ${best.format} was used (the first listed); pass --date-format "${twin}" if that is what the export means`,
    };
  return { format: best.format, offsets };
}

const ISO_SECONDS = '%Y-%m-%dT%H:%M:%S';

function isSniffError(e: unknown): boolean {
  const m = e instanceof Error ? e.message : '';
  return /not possible to automatically detect the CSV parsing dialect|Error when sniffing file/i.test(m);
}
function isCsvParseError(e: unknown): boolean {
  const m = e instanceof Error ? e.message : '';
  return /CSV Parser state machine|CSV Error on Line|Expected Number of Columns|Value with unterminated quote|unterminated quote/i.test(
    m,
  );
}
function isUnicodeError(e: unknown): boolean {
  return e instanceof Error && /Invalid unicode/i.test(e.message);
}

/** What the reader did, for the summary and the report. */
interface ReadFacts {
  encoding: string;
  dialect?: string;
  layout: string;
  notes: string[];
}

/** Rows from the start of the file that decide the number format of the value columns. */
const NUMBER_ROWS = 5000;

/**
 * Values of the value columns from the start of the file, to decide their number format; and how
 * many rows were looked at (NUMBER_ROWS unless the source is shorter; Infinity: no text columns).
 */
async function numberStyles(
  conn: DuckDBConnection,
  src: string,
  cols: ResolvedColumns,
  given: DecimalMark | undefined,
  file: string,
  facts: ReadFacts,
): Promise<{ styles: Map<string, NumberStyle>; rows: number }> {
  const valueCols =
    cols.value.kind === 'quantity_price' ? [cols.value.quantity, cols.value.price] : [cols.value.amount];
  const text = valueCols.filter((c) => /^VARCHAR$/i.test(c.type));
  const styles = new Map<string, NumberStyle>();
  if (text.length === 0) return { styles, rows: Infinity };
  const sql = `SELECT ${text.map((c, i) => `CAST(${sqlIdent(c.name)} AS VARCHAR) AS v${i}`).join(', ')} FROM ${src} LIMIT ${NUMBER_ROWS}`;
  let rows: Record<string, unknown>[];
  try {
    rows = await queryObjects(conn, sql);
  } catch {
    // DuckDB reads a large file on several threads at once, and one further on can meet a broken
    // row before the first NUMBER_ROWS are in (it did, now and then, on a row 130,000 lines in):
    // the start again on one thread, in order. A broken row further on is then stage 1's to name.
    await run(conn, 'SET threads = 1');
    try {
      rows = await queryObjects(conn, sql);
    } finally {
      await run(conn, 'RESET threads');
    }
  }
  const evidence = text.map((_, i) => numberEvidence(rows.map((r) => String(r[`v${i}`] ?? ''))));
  const merged = mergeEvidence(evidence);
  if (merged.dirty === 0 && given !== ',') return { styles, rows: rows.length }; // plain numbers: the fast path
  const decimal = chooseDecimal(merged, given, text.map((c) => c.name).join(', '), file);
  for (const [i, c] of text.entries())
    styles.set(c.name, { decimal, clean: decimal === ',' || evidence[i]!.dirty > 0 });
  facts.notes.push(
    `numbers: decimal ${decimal === ',' ? 'comma' : 'point'}${given ? ' (--decimal)' : ' (detected)'}; ${text
      .filter((c) => styles.get(c.name)?.clean)
      .map((c) => c.name)
      .join(', ')} cleaned of currency signs, spaces and thousands separators`,
  );
  return { styles, rows: rows.length };
}

/** The drop reason of a classified row (the first rule it fails) and its offending value, as SQL. */
function reasonSql(shape: RowShape, tsExpr: string): { reason: string; value: string } {
  const whens: [string, string, string][] = [
    ['cls = 0', 'missing_customer', 'rc'],
    ['cls = 1', 'cancelled', shape.cols.invoice ? 'inv' : 'rc'],
    ['cls = 2', 'missing_invoice', 'inv'],
    [`${tsExpr} IS NULL`, 'unparsable_date', 'd'],
  ];
  for (const c of valueChecks(shape.cols)) {
    whens.push([`${c.expr} IS NULL`, c.unparsable, c.raw]);
    whens.push([`${c.expr} <= 0`, c.notPositive, c.raw]);
  }
  return {
    reason: `CASE ${whens.map(([w, r]) => `WHEN ${w} THEN '${r}'`).join(' ')} END`,
    value: `CASE ${whens.map(([w, , v]) => `WHEN ${w} THEN CAST(${v} AS VARCHAR)`).join(' ')} END`,
  };
}

/**
 * Rows read in file order to find the samples: bounded, so that samples cost the same on any size
 * of file (a reason first met further on is counted, with no sample).
 */
export const SAMPLE_WINDOW = 20_000;

/**
 * The first REJECTED_SAMPLES rows of each drop reason that occurred, with their line number (the
 * header is line 1; a quoted field spanning lines makes later numbers smaller than the editor's)
 * and the value that failed. One thread reads the first SAMPLE_WINDOW rows in order and numbers
 * them, in one query for every reason.
 */
async function rejectedSamples(
  conn: DuckDBConnection,
  src: string,
  shape: RowShape,
  tsExpr: string,
  dropped: Record<string, number>,
  firstLine: number,
): Promise<Record<string, { line: number; value: string }[]>> {
  const wanted = Object.entries(dropped)
    .filter(([, n]) => n > 0)
    .map(([r]) => r);
  if (!wanted.length) return {};
  const { reason, value } = reasonSql(shape, tsExpr);
  const out: Record<string, { line: number; value: string }[]> = {};
  let seqs = 0;
  const query = async (reasons: string[], limit: string): Promise<Record<string, unknown>[]> => {
    const seq = `rfm_line_${seqs++}`;
    await run(conn, `CREATE TEMP SEQUENCE ${seq} START ${firstLine}`);
    // the numbering sits under a LIMIT (or the filter refers to it), so no filter is pushed below it
    return queryObjects(
      conn,
      `SELECT reason, line, value FROM (
         SELECT line, ${reason} AS reason, ${value} AS value
         FROM (SELECT nextval('${seq}') AS line, * FROM (${classifiedSql(src, shape, true)}) ${limit})
       ) WHERE line > 0 AND reason IN (${reasons.map(sqlString).join(', ')})
       QUALIFY row_number() OVER (PARTITION BY reason ORDER BY line) <= ${REJECTED_SAMPLES}
       ORDER BY reason, line`,
    );
  };
  await run(conn, 'SET threads = 1');
  await run(conn, 'SET preserve_insertion_order = true');
  try {
    const add = (rows: Record<string, unknown>[]) => {
      for (const r of rows) {
        const list = out[String(r.reason)] ?? [];
        list.push({ line: num(r.line), value: r.value === null ? '' : String(r.value).slice(0, 80) });
        out[String(r.reason)] = list;
      }
    };
    add(await query(wanted, `LIMIT ${SAMPLE_WINDOW}`));
  } finally {
    await run(conn, 'RESET threads');
    await run(conn, 'SET preserve_insertion_order = false');
  }
  return out;
}

/** The file DuckDB reads, and what the read knows of it so far (for planRead). */
interface ReadTarget {
  path: string;
  format: SourceFormat;
  /** the user's file name, for messages */
  name: string;
  enc: DetectedEncoding | undefined;
  lateEncoding: string | undefined;
  /** already converted to UTF-8 with \n line ends */
  normalised: boolean;
  tmp: string | undefined;
  plainName: string;
  /** directories made on the way (the dialect fallback of a plain file), removed at the end */
  cleanupLater: string[];
}

/** What the read decides from the start of the file before its one long statement. */
interface ReadPlan {
  src: string;
  /**
   * `src` for the one-thread reads in file order (rejected-row samples, the first bad consent):
   * a CSV read in 4 MB buffers instead of DuckDB's 32 MB, of which a read that stops after 20,000
   * rows used a fraction (UCI export: 37–53 → 20 ms). Twice rfm's longest allowed line.
   */
  orderedSrc: string;
  /** the file `src` reads: the target's, or the normalised copy made when DuckDB's sniffer gave up */
  readPath: string;
  normalised: boolean;
  tried: string[];
  cols: ResolvedColumns;
  basis: FrequencyBasis;
  attrs: AttributeColumns | undefined;
  shape: RowShape;
  /** rows the number formats were decided on */
  numberRows: number;
}

/**
 * The dialect (DuckDB's sniffer, or rfm's own from the header line when it gives up and
 * `fallback` allows), the layout, the role columns, the frequency basis, the number formats and
 * the attribute columns. `facts` gets what was decided.
 */
async function planRead(
  conn: DuckDBConnection,
  target: ReadTarget,
  opts: ImportOptions,
  facts: ReadFacts,
  fallback: boolean,
): Promise<ReadPlan> {
  const { format, name, enc, lateEncoding, tmp, plainName, cleanupLater } = target;
  let readPath = target.path;
  let normalised = target.normalised;
  // Row order is irrelevant here (the result is sorted), and not keeping it saves memory.
  await run(conn, 'SET preserve_insertion_order = false');
  let src = sourceSql(readPath, format === 'parquet' ? 'parquet' : 'csv');
  let described: ColumnInfo[];
  const tried: string[] = ["DuckDB's dialect sniffer"];
  try {
    if (format === 'parquet') described = await describeSource(conn, src);
    else ({ src, columns: described } = await sniffedCsv(conn, readPath));
  } catch (e) {
    if (isUnicodeError(e) && enc?.how === 'detected' && !lateEncoding) throw new LateEncoding();
    if (!isSniffError(e) || format === 'parquet' || !fallback) throw e;
    // The sniffer gave up (mixed \n and \r\n line ends, …): rfm's own dialect from the header line
    if (!normalised) {
      const copy = join(tmp ?? (await mkdtemp(join(tmpdir(), 'rfm-read-'))), `normalised-${plainName}`);
      await writeUtf8Copy(readPath, copy, { gzip: false, encoding: 'utf-8', newlines: true });
      if (!tmp) cleanupLater.push(dirname(copy));
      readPath = copy;
      normalised = true;
    }
    const header = (await readHead(readPath, false, 1 << 16)).toString('utf8').split('\n')[0] ?? '';
    const delim = inferDelimiter(header);
    if (!delim)
      throw new RfmError(
        'INVALID_INPUT',
        `${name}: cannot read the CSV dialect: DuckDB's sniffer gave up, and the header line has none of , ; tab | between its names: "${excerpt(header)}"`,
        { issues: [{ path: 'line 1', message: 'no delimiter in the header line', found: excerpt(header) }] },
      );
    tried.push(`delimiter ${JSON.stringify(delim)} from the header line, quote ", line ends normalised to \\n`);
    src = explicitCsvSql(readPath, delim);
    facts.dialect = `delimiter ${JSON.stringify(delim)} (from the header line; DuckDB's sniffer gave up), line ends normalised`;
    try {
      described = await describeSource(conn, src);
    } catch (e2) {
      throw await dialectError(name, readPath, delim, tried, e2);
    }
  }
  let mapping = opts.columns;
  let layout: Layout | undefined;
  if (!mapping || Object.keys(mapping).length === 0) {
    layout = detectLayout(described);
    if (layout) {
      src = layoutSourceSql(src, layout);
      mapping = layout.mapping;
      facts.layout = layout.description;
      described = [...described, { name: '_rfm_excluded', type: 'BOOLEAN' }];
    }
  } else facts.layout = 'columns named by --columns';
  const cols = resolveColumns(described, mapping, name);
  const basis: FrequencyBasis = opts.frequency ?? (cols.invoice ? 'invoices' : 'days');
  if (basis === 'invoices' && !cols.invoice)
    throw new RfmError(
      'INVALID_INPUT',
      `${name}: --frequency invoices needs an invoice column, and the export has none (columns: ${described
        .filter((c) => !c.name.startsWith('_rfm_'))
        .map((c) => c.name)
        .join(
          ', ',
        )}); use --frequency days (distinct purchase days) or rows, or name the column with --columns invoice=NAME`,
      {
        issues: [{ path: '--frequency', message: 'no invoice column', expected: 'days or rows', found: 'invoices' }],
      },
    );
  let numbers: Awaited<ReturnType<typeof numberStyles>>;
  try {
    numbers = await numberStyles(conn, src, cols, opts.decimal, name, facts);
  } catch (e) {
    // a broken row among the first rows: worded as stage 1 words one further on
    if (!isCsvParseError(e) || format === 'parquet') throw e;
    throw await dialectError(name, readPath, facts.dialect ? inferDelimiterOf(facts.dialect) : undefined, tried, e);
  }
  const { styles, rows: numberRows } = numbers;
  const attrs = opts.attributes === undefined ? undefined : resolveAttributes(described, cols, opts.attributes, name);
  if (attrs) facts.notes.push(attributesNote(attrs));
  const shape: RowShape = {
    cols,
    styles,
    excluded: layout ? layout.excluded : undefined,
    cPrefix: !layout,
    ...(attrs ? { attrs } : {}),
  };
  const csvAt = `read_csv(${sqlString(readPath)},`;
  const orderedSrc =
    format === 'parquet' ? src : src.split(csvAt).join(`${csvAt} buffer_size = ${2 * MAX_LINE_BYTES},`);
  return { src, orderedSrc, readPath, normalised, tried, cols, basis, attrs, shape, numberRows };
}

/**
 * Plain bytes of a gzip export that the read plans on while the rest is inflated: DuckDB's sniffer
 * and the number-format sample (NUMBER_ROWS rows) then overlap the inflate instead of following it
 * (about 0.08 s on the UCI export). 2 MB holds ~24,000 UCI rows.
 */
const PLAN_SAMPLE_BYTES = 2 << 20;

/**
 * A plan made on a sample, moved onto the whole file — or undefined when the sample cannot stand
 * for it: the plan read fewer rows than the whole file would have given it.
 */
function planOnWholeFile(plan: ReadPlan, samplePath: string, readPath: string): ReadPlan | undefined {
  if (plan.readPath !== samplePath || plan.numberRows < NUMBER_ROWS) return undefined;
  const moved = (sql: string) => sql.split(sqlString(samplePath)).join(sqlString(readPath));
  return { ...plan, src: moved(plan.src), orderedSrc: moved(plan.orderedSrc), readPath };
}

/** The CSV `read_csv` expression with rfm's own dialect (used when DuckDB's sniffer gives up). */
function explicitCsvSql(path: string, delim: string): string {
  return `read_csv(${sqlString(path)}, header = true, all_varchar = true, delim = ${sqlString(delim)}, quote = '"', escape = '"', new_line = '\\n')`;
}

/**
 * Read an export and leave the per-customer RFM table in temp table `rfm` (cid, recency,
 * frequency, monetary) of `conn`. Returns the data summary. Zero usable rows is an error.
 */
/** Callbacks while an export is read (not options: they say nothing about how to read it). */
export interface ReadHooks {
  /** rfm's own pass over the file (hash, gzip inflate, line lengths): bytes and lines so far */
  onFilePass?: (p: FilePassProgress) => void;
  /**
   * Called when the read hands DuckDB its long statement (every row of the file, on DuckDB's
   * threads) and this thread only waits: a caller with main-thread work of its own (`rfm train`
   * loading TensorFlow.js and the registry) starts it then rather than before, so that it does not
   * hold up the steps before (the gzip inflate's stream is pumped by this thread). Not called when
   * the read fails before.
   */
  onStarted?: () => void;
  /**
   * What the dialect, layout and number formats were decided on: the start of a gzip export,
   * while the rest was inflated, or the whole file (everything else, and a gzip export whose start
   * did not stand for it). For tracing and tests.
   */
  onPlanned?: (on: 'sample' | 'file') => void;
}

/** A DuckDB connection, or withDuckSoon's `connect`, called where the read first queries. */
export type DuckConnection = DuckDBConnection | (() => Promise<DuckDBConnection>);

const opened = (c: DuckConnection): Promise<DuckDBConnection> => (typeof c === 'function' ? c() : Promise.resolve(c));

export async function aggregateExport(
  connection: DuckConnection,
  path: string,
  opts: ImportOptions = {},
  hooks: ReadHooks = {},
): Promise<ExportAggregate> {
  // Read again when the first attempt learnt something only the whole file shows.
  let retry: Attempt = { opts, sample: true, normalise: false };
  for (;;) {
    try {
      return await aggregateOnce(connection, path, retry, hooks);
    } catch (e) {
      // UTF-8 in the first megabyte, something else further on: read it again as Windows-1252
      if (e instanceof LateEncoding && !retry.lateEncoding)
        retry = {
          ...retry,
          opts: { ...opts, encoding: 'windows-1252' },
          lateEncoding: 'not UTF-8 further on',
          sample: false,
        };
      // planned on the start of a gzip export, which the rest does not fit: plan on the whole file
      else if (e instanceof SampleMismatch && retry.sample) retry = { ...retry, sample: false };
      // line ends that change past the start DuckDB's sniffer looked at: read a copy with \n only
      else if (e instanceof MixedLineEnds && !retry.normalise) retry = { ...retry, sample: false, normalise: true };
      else throw e;
      const conn = await opened(connection);
      for (const t of ['rfm_inv', 'rfm_tx', 'rfm', 'rfm_attrs']) await run(conn, `DROP TABLE IF EXISTS ${t}`);
    }
  }
}

/** How one attempt at reading an export goes (aggregateExport tries again with what it learnt). */
interface Attempt {
  opts: ImportOptions;
  /** the export was found not to be UTF-8 past its start (read as Windows-1252): said in the summary */
  lateEncoding?: string;
  /** plan on the start of a gzip export while the rest is inflated (see PLAN_SAMPLE_BYTES) */
  sample: boolean;
  /** read a copy whose line ends are all \n (the file mixes kinds past the sniffer's sample) */
  normalise: boolean;
}

class LateEncoding extends Error {}
/** Stage 1 failed to parse a file whose line ends are of more than one kind, and it was read as it is. */
class MixedLineEnds extends Error {}
/** Stage 1 failed on a gzip export whose plan was made on its start: the read starts again without. */
class SampleMismatch extends Error {}

async function aggregateOnce(
  connection: DuckConnection,
  path: string,
  attempt: Attempt,
  hooks: ReadHooks,
): Promise<ExportAggregate> {
  const { opts, lateEncoding, sample, normalise } = attempt;
  const format = detectFormat(path);
  await checkFile(path, 'export');
  const name = path.split(/[\\/]/).pop() ?? path;
  // (gzip: the full pass below inflates the whole file before DuckDB sees it, and finds long lines)
  if (format === 'csv') {
    const long = await longLineInHead(path);
    if (long) throw longLineError(name, long);
  }
  const gz = format === 'csv.gz';
  const isText = format === 'csv' || gz;
  const head = isText ? await readHead(path, gz, 1 << 16) : undefined;
  const enc: DetectedEncoding | undefined = !head
    ? undefined
    : opts.encoding !== undefined
      ? { encoding: parseEncoding(opts.encoding), bom: false, how: 'given' }
      : detectEncoding(head);
  const notText = head && enc ? notTextReason(head, enc) : undefined;
  if (notText)
    throw new RfmError('INVALID_INPUT', `${name} cannot be read as a CSV export: ${notText}`, {
      issues: [{ path: 'file', message: 'not a text file', found: notText }],
    });
  const facts: ReadFacts = {
    encoding: !enc
      ? format === 'xlsx'
        ? 'xlsx (UTF-8 inside)'
        : 'parquet'
      : `${enc.encoding}${enc.bom ? ' with BOM' : ''} (${
          lateEncoding
            ? `detected: ${lateEncoding}`
            : enc.how === 'given'
              ? '--encoding'
              : enc.how === 'bom'
                ? 'byte-order mark'
                : 'detected'
        })`,
    layout: 'known column names',
    notes: [],
  };
  const transcode = enc !== undefined && (enc.encoding !== 'utf-8' || normalise);
  if (normalise)
    facts.dialect = 'line ends normalised to \\n (the export mixes \\r\\n, \\n or \\r past its first lines)';
  // A private directory for the copies DuckDB reads instead of the file: gzip inflated (DuckDB
  // inflates on one thread and would parse on that thread too — measured on the UCI export: 1.6 s
  // of one core → 0.25 s inflate + a parallel read), text converted to UTF-8, a spreadsheet as CSV.
  const tmp = gz || transcode || format === 'xlsx' ? await mkdtemp(join(tmpdir(), 'rfm-read-')) : undefined;
  const plainName = name.replace(/\.(gz|xlsx)$/i, '') || 'export';
  let readPath = tmp ? join(tmp, /\.(csv|tsv|txt)$/i.test(plainName) ? plainName : `${plainName}.csv`) : path;
  const normalised = transcode;
  /** directories made on the way (the dialect fallback of a plain file), removed at the end */
  const cleanupLater: string[] = [];
  /** what planRead needs to know of the file at `at` (the plain copy, or the sample of a gzip export) */
  const targetAt = (at: string): ReadTarget => ({
    path: at,
    format,
    name,
    enc,
    lateEncoding,
    normalised,
    tmp,
    plainName,
    cleanupLater,
  });
  // gzip with UTF-8 inside: the start of the plain text, for planning while the rest is inflated
  const sampler = gz && !transcode && sample ? new PlainSample(PLAN_SAMPLE_BYTES) : undefined;
  // One pass beside DuckDB's: sha256, plus (CSV) the longest line and (gzip) a whole stream. A
  // problem found there stops DuckDB at once: a 64 MB line takes it minutes to reject.
  let reading = true;
  const hashing = fileInfo(path, {
    gzip: gz,
    lines: isText,
    ...(gz && !transcode ? { inflateTo: readPath } : {}),
    ...(sampler ? { onPlain: (c: Buffer) => sampler.feed(c) } : {}),
    ...(hooks.onFilePass ? { onProgress: hooks.onFilePass } : {}),
  });
  const fileProblem: Promise<RfmError | null> = hashing.then(
    (i) => (i.longLine ? longLineError(name, i.longLine) : null),
    (e: unknown) => (isRfmError(e) ? e : null),
  );
  // DuckDB is loaded now, if it was not yet: the pass above runs meanwhile
  let conn: DuckDBConnection;
  try {
    conn = await opened(connection);
  } catch (e) {
    await fileProblem; // the pass may be writing into tmp: let it end before tmp goes
    if (tmp) await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  void fileProblem.then((p) => {
    if (p && reading) conn.interrupt();
  });
  void hashing.finally(() => sampler?.end()).catch(() => {});
  // DuckDB plans the read on the sample while the rest is inflated (see PLAN_SAMPLE_BYTES)
  const early = sampler ? planOnSample(conn, sampler, join(tmp!, `sample-${basename(readPath)}`), readPath) : undefined;
  try {
    if (transcode) {
      const problem = await fileProblem; // a broken gzip or a huge line: say so before converting
      if (problem) throw problem;
      await writeUtf8Copy(path, readPath, { gzip: gz, encoding: enc!.encoding, newlines: true });
    } else if (gz) {
      const problem = await fileProblem; // the plain copy is complete (or the file is broken)
      if (problem) throw problem;
    } else if (format === 'xlsx') {
      const sheet = await xlsxToCsv(path, readPath, opts.sheet);
      facts.notes.push(`sheet "${sheet.name}" of ${sheet.count} (${sheet.rows.toLocaleString('en-US')} rows)`);
    }
    // gzip: the plan made on the sample meanwhile, when it stands for the whole file
    const sampled = await early;
    if (sampled) Object.assign(facts, sampled.facts);
    const plan = sampled?.plan ?? (await planRead(conn, targetAt(readPath), opts, facts, true));
    hooks.onPlanned?.(sampled ? 'sample' : 'file');
    const { src, orderedSrc, cols, basis, attrs, shape, tried } = plan;
    readPath = plan.readPath;
    hooks.onStarted?.(); // the one long statement: DuckDB's threads work, this one waits
    try {
      await run(conn, stage1Sql(src, shape));
    } catch (e) {
      if (isUnicodeError(e) && enc?.how === 'detected' && !lateEncoding && !transcode) throw new LateEncoding();
      if (isCsvParseError(e) && format !== 'parquet') {
        if (sampled) throw new SampleMismatch(); // the sample read well, the file does not: plan on the file
        if (!plan.normalised && (await hashing.catch(() => undefined))?.mixedLineEnds) throw new MixedLineEnds();
        throw await dialectError(name, readPath, facts.dialect ? inferDelimiterOf(facts.dialect) : undefined, tried, e);
      }
      throw e;
    }
    if (attrs?.consent) await checkConsent(conn, orderedSrc, attrs.consent, name, format === 'parquet' ? 1 : 2);
    const dates = await resolveDateFormat(conn, cols, opts.dateFormat, name);
    const dateFormat = dates.format;
    if (dates.note) facts.notes.push(dates.note);
    const tsExpr = dateFormat === 'typed' ? 'd' : parseDateSql('d', dateFormat, dates.offsets);
    await run(conn, `CREATE TEMP TABLE rfm_tx AS SELECT *, ${tsExpr} AS ts FROM rfm_inv WHERE cls = 3`);

    const checks = valueChecks(cols);
    const reasons = (cols.value.kind === 'quantity_price' ? DROP_REASONS_QP : DROP_REASONS_AMOUNT).filter(
      (r) => r !== 'missing_invoice' || cols.invoice,
    );
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
    // a CSV's rows start on line 2 (after the header); Parquet has rows, numbered from 1
    const samples = await rejectedSamples(conn, orderedSrc, shape, tsExpr, dropped, format === 'parquet' ? 1 : 2);
    if (rowsKept === 0) {
      const why = Object.entries(dropped)
        .filter(([, v]) => v > 0)
        .map(([k, v]) => `${k} ${v}${samplesText(samples[k], format === 'parquet' ? 'row' : 'line')}`)
        .join(', ');
      throw new RfmError('INVALID_INPUT', `${name}: no usable rows: all ${rowsRead} rows were dropped (${why})`, {
        details: { rows_read: rowsRead, rows_dropped: dropped, rejected_samples: samples },
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

    const frequencySql =
      basis === 'invoices'
        ? 'count(DISTINCT inv)'
        : basis === 'days'
          ? 'count(DISTINCT CAST(ts AS DATE))'
          : 'sum(kept)';
    await run(
      conn,
      `CREATE TEMP TABLE rfm AS
       SELECT cust AS cid,
              date_diff('day', CAST(max(ts) AS DATE), DATE ${sqlString(snapshot)}) AS recency,
              ${frequencySql} AS frequency,
              CAST(sum(amount) AS DOUBLE) AS monetary,
              date_diff('day', CAST(min(ts) AS DATE), CAST(max(ts) AS DATE)) AS active_days
       FROM rfm_tx WHERE ts IS NOT NULL AND kept > 0
       GROUP BY cust`,
    );
    if (attrs) await run(conn, attributesTableSql(attrs));
    const purchaseRhythm = await readPurchaseRhythm(conn); // for naming: see rhythm.ts
    const [{ customers } = {}] = await queryObjects(conn, 'SELECT count(*) AS customers FROM rfm');
    reading = false;
    const problem = await fileProblem;
    if (problem) throw problem;
    const info = await hashing;
    const frequencyNote =
      basis === 'days' && !cols.invoice
        ? `${FREQUENCY_NOTES.days}: the export has no invoice column`
        : `${FREQUENCY_NOTES[basis]}${opts.frequency ? ' (--frequency)' : ''}`;
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
      frequency_basis: basis,
      frequency_note: frequencyNote,
      reader: {
        encoding: facts.encoding,
        ...(facts.dialect ? { dialect: facts.dialect } : {}),
        layout: facts.layout,
        date_format: dateFormat,
        notes: facts.notes,
      },
      rejected_samples: samples,
    };
    return { summary, columns: cols, dateFormat, ...(attrs ? { attributes: attrs } : {}) };
  } catch (e) {
    reading = false;
    if (e instanceof LateEncoding || e instanceof SampleMismatch || e instanceof MixedLineEnds) throw e;
    // the file pass names the cause better than what DuckDB stumbled on (or was interrupted with)
    // DuckDB names the file it read: the user's, not our private copy
    const named =
      readPath !== path && e instanceof Error && !isRfmError(e) ? new Error(e.message.split(readPath).join(path)) : e;
    throw (await fileProblem) ?? asReadError(named, path, 'export');
  } finally {
    await early; // it may still be querying DuckDB, or writing into tmp
    if (tmp) await rm(tmp, { recursive: true, force: true });
    for (const d of cleanupLater.splice(0)) await rm(d, { recursive: true, force: true });
  }

  /** The plan made on the sample and the facts it decided, when the sample stands for the file. */
  async function planOnSample(
    conn: DuckDBConnection,
    sampler: PlainSample,
    samplePath: string,
    wholePath: string,
  ): Promise<{ plan: ReadPlan; facts: ReadFacts } | undefined> {
    try {
      const bytes = await sampler.done;
      if (!bytes) return undefined;
      await writeFile(samplePath, bytes);
      const sampleFacts: ReadFacts = { ...facts, notes: [...facts.notes] };
      const plan = planOnWholeFile(
        await planRead(conn, targetAt(samplePath), opts, sampleFacts, false),
        samplePath,
        wholePath,
      );
      return plan && { plan, facts: sampleFacts };
    } catch {
      return undefined; // whatever went wrong is met again, and said, when the whole file is planned
    }
  }
}

/**
 * A consent value that is neither yes nor no stops the read: stage 1 only flags that one exists
 * (no cost when none does); then one ordered pass finds the first such line for the message.
 */
async function checkConsent(conn: DuckDBConnection, src: string, column: string, file: string, firstLine: number) {
  const [flag] = await queryObjects(conn, 'SELECT bool_or(a_consent_bad) AS bad FROM rfm_inv');
  if (flag?.bad !== true) return;
  await run(conn, 'SET threads = 1');
  await run(conn, 'SET preserve_insertion_order = true');
  try {
    // a window numbers the rows in file order (one thread, order kept); no filter is pushed below it
    const [hit] = await queryObjects(
      conn,
      `SELECT line, value FROM (SELECT row_number() OVER () + ${firstLine - 1} AS line, CAST(${sqlIdent(column)} AS VARCHAR) AS value,
         ${consentSql(column)} AS c FROM ${src}) WHERE c = -1 ORDER BY line LIMIT 1`,
    );
    throw badConsentError(file, column, num(hit?.line), String(hit?.value ?? ''), firstLine === 1 ? 'row' : 'line');
  } finally {
    await run(conn, 'RESET threads');
    await run(conn, 'SET preserve_insertion_order = false');
  }
}

function inferDelimiterOf(dialect: string): string | undefined {
  return /^delimiter "(.*?)"/.exec(dialect)?.[1]?.replace('\\t', '\t');
}

/** Samples as text for messages: ` (line 7 "abc", line 9 "")`; Parquet has rows, not lines. */
export function samplesText(s: { line: number; value: string }[] | undefined, unit: 'line' | 'row' = 'line'): string {
  return s?.length ? ` (${s.map((x) => `${unit} ${x.line} ${JSON.stringify(x.value)}`).join(', ')})` : '';
}

/** A read that failed on the dialect: what was tried and the first line that does not fit. */
async function dialectError(
  name: string,
  readPath: string,
  delim: string | undefined,
  tried: string[],
  cause: unknown,
): Promise<RfmError> {
  const header = (await readHead(readPath, false, 1 << 16)).toString('utf8').split(/\r?\n/)[0] ?? '';
  const d = delim ?? inferDelimiter(header) ?? ',';
  const bad = await findBadLine(readPath, d).catch(() => undefined);
  const where = bad
    ? `line ${bad.line} looks wrong: ${bad.reason}: "${bad.text}"`
    : `no line with a wrong number of fields was found (DuckDB said: ${duckMessage(cause)})`;
  return new RfmError('INVALID_INPUT', `${name}: cannot read the CSV: tried ${tried.join('; then ')}; ${where}`, {
    issues: [
      {
        path: bad ? `line ${bad.line}` : 'file',
        message: bad ? bad.reason : 'unreadable CSV dialect',
        expected: `fields separated by ${JSON.stringify(d)}, quotes closed`,
        found: bad?.text ?? '',
      },
    ],
    cause,
  });
}

function longLineError(name: string, l: { line: number; bytes: number }): RfmError {
  return new RfmError(
    'INVALID_INPUT',
    `${name}: line ${l.line} is longer than ${MAX_LINE_BYTES.toLocaleString('en-US')} bytes` +
      ` (at least ${l.bytes.toLocaleString('en-US')}); an export line holds one transaction. Is this the right file?`,
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

/**
 * The `rfm` temp table → typed arrays, sorted by customer id so results never depend on thread
 * timing; with the customer attributes of `rfm_attrs` when the aggregate read some.
 */
export async function readRfmTable(conn: DuckDBConnection, attributes?: AttributeColumns): Promise<RfmTable> {
  const extra = attributes ? ', a.email, a.name, CAST(a.consent AS INTEGER) AS consent' : '';
  const reader = await conn.runAndReadAll(
    `SELECT rfm.cid, CAST(recency AS DOUBLE) AS r, CAST(frequency AS DOUBLE) AS f, CAST(monetary AS DOUBLE) AS m${extra}` +
      ` FROM rfm${attributes ? ' LEFT JOIN rfm_attrs AS a ON a.cid = rfm.cid' : ''}`,
  );
  const [cid, r, f, m, email, person, consent] = reader.getColumnsJS() as [
    string[],
    number[],
    number[],
    number[],
    (string | null)[]?,
    (string | null)[]?,
    (number | null)[]?,
  ];
  const n = cid.length;
  const raw = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    raw[i * 3] = r[i]!;
    raw[i * 3 + 1] = f[i]!;
    raw[i * 3 + 2] = m[i]!;
  }
  const attrs = attributes
    ? {
        ...(attributes.email ? { email: email!.map((v) => v ?? '') } : {}),
        ...(attributes.name ? { name: person!.map((v) => v ?? '') } : {}),
        ...(attributes.consent
          ? {
              consent: Uint8Array.from(consent!, (v) =>
                v === 1 ? CONSENT_YES : v === 0 ? CONSENT_NO : CONSENT_UNKNOWN,
              ),
            }
          : {}),
      }
    : undefined;
  return sortByCid({ cids: cid.map(String), raw, ...(attrs ? { attributes: attrs } : {}) });
}

/** Read an export into the RFM table and its data summary. */
export async function readExport(
  path: string,
  opts: ImportOptions = {},
  hooks: ReadHooks = {},
): Promise<{ table: RfmTable; summary: DataSummary; dateFormat: string }> {
  return withDuckSoon(async (conn) => {
    const agg = await aggregateExport(conn, path, opts, hooks);
    return {
      table: await readRfmTable(await conn(), agg.attributes),
      summary: agg.summary,
      dateFormat: agg.dateFormat,
    };
  });
}

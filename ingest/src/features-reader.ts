import { FEATURE_COLUMN_NAMES, LIMITS, RfmError, type DataSummary, type FeatureField, type Issue } from '@rfm/shared';
import { sortByCid, type RfmTable } from './rfm-table.js';
import { normalizeName } from './columns.js';
import { asReadError, withDuck } from './duck.js';
import { customerSql } from './expressions.js';
import { checkFile, describeSource, detectFormat, fileInfo, sourceSql, type ColumnInfo } from './source.js';
import { sqlIdent } from './sql.js';

/**
 * `rfm train --features FILE`: an RFM table computed elsewhere (Spark, Trino, a notebook), one row
 * per customer. Every value is checked against the same limits the API enforces; the first bad
 * rows are reported by row number and column.
 */
const NAMES = FEATURE_COLUMN_NAMES;
type Field = FeatureField;

const MAX_REPORTED = 10;

function findColumn(cols: ColumnInfo[], field: Field): ColumnInfo | undefined {
  for (const want of NAMES[field]) {
    const hit = cols.find((c) => normalizeName(c.name) === normalizeName(want));
    if (hit) return hit;
  }
  return undefined;
}

/** The value as DOUBLE, and its text only when that is not a finite number (for the error message). */
function valueSql(c: ColumnInfo, alias: string): string {
  const id = sqlIdent(c.name);
  return (
    `TRY_CAST(${id} AS DOUBLE) AS ${alias}_v` +
    `, CASE WHEN coalesce(isfinite(TRY_CAST(${id} AS DOUBLE)), false) THEN NULL ELSE CAST(${id} AS VARCHAR) END AS ${alias}_t`
  );
}

export function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

export async function readFeatures(
  path: string,
  opts: { asOf?: string } = {},
): Promise<{ table: RfmTable; summary: DataSummary }> {
  const format = detectFormat(path);
  if (format === 'xlsx')
    throw new RfmError(
      'UNSUPPORTED',
      `--features ${path}: a features table must be .csv or .parquet (xlsx is read for exports only)`,
      {
        issues: [{ path: '--features', message: 'unsupported file type', expected: '.csv or .parquet', found: path }],
      },
    );
  await checkFile(path, 'features file');
  const name = path.split(/[\\/]/).pop() ?? path;
  const hashing = fileInfo(path);
  hashing.catch(() => {});
  const table = await withDuck(async (conn) => {
    try {
      const src = sourceSql(path, format);
      const cols = await describeSource(conn, src);
      const found: Partial<Record<Field, ColumnInfo>> = {};
      const missing: Field[] = [];
      for (const f of Object.keys(NAMES) as Field[]) {
        const c = findColumn(cols, f);
        if (c) found[f] = c;
        else missing.push(f);
      }
      if (missing.length)
        throw new RfmError(
          'INVALID_INPUT',
          `${name}: missing required column(s): ${missing.join(', ')}. Columns found: ${cols.map((c) => c.name).join(', ')}`,
          {
            issues: missing.map((f) => ({
              path: `columns.${f}`,
              message: `no ${f} column`,
              expected: `one of ${NAMES[f].join(', ')}`,
              found: cols.map((c) => c.name).join(', '),
            })),
          },
        );
      const r = found.recency!;
      const f = found.frequency!;
      const m = found.monetary!;
      // No ORDER BY: DuckDB keeps file order, so index i is data row i + 1.
      const reader = await conn.runAndReadAll(
        `SELECT ${customerSql(found.cid!)} AS cid, ${valueSql(r, 'r')}, ${valueSql(f, 'f')}, ${valueSql(m, 'm')} FROM ${src}`,
      );
      // No result chunks at all (header-only file) means no columns either.
      const c =
        reader.columnCount === 0 || reader.currentRowCount === 0
          ? [[], [], [], [], [], [], []]
          : (reader.getColumnsJS() as unknown[][]);
      return validate(name, format === 'parquet' ? 0 : 1, [found.cid!.name, r.name, f.name, m.name], c);
    } catch (e) {
      throw asReadError(e, path, 'features file');
    }
  });
  const info = await hashing;
  const n = table.cids.length;
  return {
    table,
    summary: {
      source: { file: info.file, sha256: info.sha256, bytes: info.bytes, format: 'features' },
      rows_read: n,
      rows_kept: n,
      rows_dropped: {},
      customers: n,
      first_invoice: null,
      last_invoice: null,
      snapshot_date: opts.asOf ?? todayUtc(),
    },
  };
}

/** Check every row; `headerLines` turns a row index into a file line for CSV. Pure, exported for tests. */
export function validate(
  file: string,
  headerLines: number,
  names: [string, string, string, string],
  c: unknown[][],
): RfmTable {
  const [cids, rv, rt, fv, ft, mv, mt] = c as [
    (string | null)[],
    (number | null)[],
    (string | null)[],
    (number | null)[],
    (string | null)[],
    (number | null)[],
    (string | null)[],
  ];
  const n = cids.length;
  if (n === 0) throw new RfmError('INVALID_INPUT', `${file} has no data rows`);
  const issues: Issue[] = [];
  let badRows = 0;
  const seen = new Map<string, number>();
  const raw = new Float64Array(n * 3);
  const where = (i: number) => `row ${i + 1}${headerLines ? ` (line ${i + 1 + headerLines})` : ''}`;
  for (let i = 0; i < n; i++) {
    const rowIssues: Issue[] = [];
    const cid = cids[i];
    if (cid === null || cid === undefined)
      rowIssues.push({ path: `${where(i)}, column ${names[0]}`, message: 'customer id is missing' });
    else if (seen.has(cid))
      rowIssues.push({
        path: `${where(i)}, column ${names[0]}`,
        message: `duplicate customer id "${cid}" (first at ${where(seen.get(cid)!)})`,
      });
    else seen.set(cid, i);
    const check = (
      j: 0 | 1 | 2,
      v: number | null,
      text: string | null,
      field: 'recency' | 'frequency' | 'monetary',
    ) => {
      const { min, max } = LIMITS[field];
      const col = names[j + 1];
      const expected = `${field === 'frequency' ? 'a whole number' : 'a number'} in [${min}, ${max}]`;
      if (v === null || !Number.isFinite(v))
        rowIssues.push({
          path: `${where(i)}, column ${col}`,
          message: `${field} is not a number`,
          expected,
          found: text === null ? 'empty' : JSON.stringify(text),
        });
      else if (v < min || v > max || (field === 'frequency' && !Number.isInteger(v)))
        rowIssues.push({
          path: `${where(i)}, column ${col}`,
          message: `${field} out of range`,
          expected,
          found: String(v),
        });
      else raw[i * 3 + j] = v;
    };
    check(0, rv[i] ?? null, rt[i] ?? null, 'recency');
    check(1, fv[i] ?? null, ft[i] ?? null, 'frequency');
    check(2, mv[i] ?? null, mt[i] ?? null, 'monetary');
    if (rowIssues.length) {
      badRows++;
      for (const x of rowIssues) if (issues.length < MAX_REPORTED) issues.push(x);
    }
  }
  if (badRows) {
    const first = issues[0]!;
    throw new RfmError(
      'INVALID_INPUT',
      `${file}: ${badRows} invalid row(s); first: ${first.path}: ${first.message}` +
        `${first.found ? ` (found ${first.found}, expected ${first.expected ?? 'a unique id'})` : ''}`,
      {
        issues,
        details: { invalid_rows: badRows },
      },
    );
  }
  return sortByCid({ cids: cids as string[], raw });
}

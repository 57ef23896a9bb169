import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RfmError, type DataSummary } from '@rfm/shared';
import { aggregateExport, type ImportOptions } from './export-reader.js';
import { asReadError, run, withDuckSoon } from './duck.js';
import { sqlString } from './sql.js';

export interface FeaturesResult {
  out: string;
  format: 'csv' | 'parquet';
  customers: number;
  data: DataSummary;
  date_format: string;
  duration_ms: number;
}

/** Output format from the file name (.csv, .parquet / .pq); anything else is refused naming --out. */
export function outFormat(out: string): 'csv' | 'parquet' {
  const lower = out.toLowerCase();
  if (lower.endsWith('.parquet') || lower.endsWith('.pq')) return 'parquet';
  if (lower.endsWith('.csv')) return 'csv';
  throw new RfmError('INVALID_INPUT', `--out ${out}: expected a .csv or .parquet file name`, {
    issues: [{ path: '--out', message: 'unknown extension', expected: '.csv or .parquet', found: out }],
  });
}

/**
 * `rfm features`: the RFM table of an export written as cid,recency,frequency,monetary — the
 * exact table `rfm train` would fit on, and what `rfm train --features` reads back. DuckDB writes
 * it directly; no row passes through JS.
 */
export async function computeFeatures(
  exportPath: string,
  out: string,
  opts: ImportOptions = {},
): Promise<FeaturesResult> {
  const t = performance.now();
  const format = outFormat(out);
  return withDuckSoon(async (connect) => {
    const agg = await aggregateExport(connect, exportPath, opts);
    const conn = await connect();
    await mkdir(dirname(out), { recursive: true });
    const options = format === 'parquet' ? '(FORMAT parquet)' : "(FORMAT csv, HEADER true, DELIMITER ',')";
    try {
      await run(
        conn,
        `COPY (SELECT cid, recency, frequency, monetary FROM rfm ORDER BY cid) TO ${sqlString(out)} ${options}`,
      );
    } catch (e) {
      throw asReadError(e, out, 'output');
    }
    return {
      out,
      format,
      customers: agg.summary.customers,
      data: agg.summary,
      date_format: agg.dateFormat,
      duration_ms: Math.round(performance.now() - t),
    };
  });
}

import type { ColumnInfo } from './source.js';
import { sqlIdent, trimSql } from './sql.js';
import { isTemporalType } from './dates.js';

/**
 * SQL that normalises one raw column to what the RFM rules need, whatever type the reader gave it
 * (CSV is all text; Parquet has real types). Unparsable values become NULL so they can be counted.
 */

const INTEGER = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/i;
const FLOATING = /^(FLOAT|DOUBLE|REAL|DECIMAL.*)$/i;

/**
 * Customer id as text, NULL when missing or blank. Integral numbers lose a trailing ".0" (Parquet
 * stores UCI ids as doubles: 12346.0 → "12346"); other text is kept as it is, leading zeros included.
 */
export function customerSql(c: ColumnInfo): string {
  const id = sqlIdent(c.name);
  if (INTEGER.test(c.type)) return `CAST(${id} AS VARCHAR)`;
  if (FLOATING.test(c.type)) {
    const d = `CAST(${id} AS DOUBLE)`;
    return (
      `CASE WHEN isfinite(${d}) THEN (CASE WHEN ${d} = trunc(${d}) AND abs(${d}) < 9.0e15` +
      ` THEN CAST(CAST(${d} AS BIGINT) AS VARCHAR) ELSE CAST(${d} AS VARCHAR) END) END`
    );
  }
  // the regex only where it can match (a point in the text): most ids have none, and a regex per row costs
  const text = trimSql(`CAST(${id} AS VARCHAR)`);
  return `NULLIF(CASE WHEN contains(${text}, '.') THEN regexp_replace(${text}, '^([0-9]+)\\.0*$', '\\1') ELSE ${text} END, '')`;
}

/** Invoice number as trimmed text, NULL when blank. */
export function invoiceSql(c: ColumnInfo): string {
  const id = sqlIdent(c.name);
  if (FLOATING.test(c.type)) return customerSql(c);
  return `NULLIF(${trimSql(`CAST(${id} AS VARCHAR)`)}, '')`;
}

/** A finite DOUBLE or NULL (text that is not a number, NaN and ±Infinity all count as unparsable). */
export function numberSql(c: ColumnInfo): string {
  const id = sqlIdent(c.name);
  const d =
    INTEGER.test(c.type) || FLOATING.test(c.type)
      ? `CAST(${id} AS DOUBLE)`
      : `TRY_CAST(${trimSql(`CAST(${id} AS VARCHAR)`)} AS DOUBLE)`;
  return `CASE WHEN isfinite(${d}) THEN ${d} END`;
}

/** Temporal columns as TIMESTAMP; anything else as trimmed text, parsed later with the detected format. */
export function dateSql(c: ColumnInfo): string {
  const id = sqlIdent(c.name);
  if (isTemporalType(c.type)) return `CAST(${id} AS TIMESTAMP)`;
  return `NULLIF(${trimSql(`CAST(${id} AS VARCHAR)`)}, '')`;
}

import { sqlString } from './sql.js';

/**
 * Date formats tried when none is given, in order of preference: ties (a file whose days are all
 * ≤ 12 parses as both month/day and day/month) go to the earlier one, i.e. the UCI convention.
 * 'ISO' is DuckDB's own ISO 8601 cast.
 */
export const DATE_FORMATS = [
  '%m/%d/%Y %H:%M',
  '%Y-%m-%d %H:%M:%S',
  '%Y-%m-%d %H:%M',
  '%d/%m/%Y %H:%M',
  '%m/%d/%Y %H:%M:%S',
  '%d/%m/%Y %H:%M:%S',
  'ISO',
] as const;

/** SQL that turns text column `col` into a TIMESTAMP, NULL when it does not parse. */
export function parseDateSql(col: string, format: string): string {
  return format === 'ISO' ? `TRY_CAST(${col} AS TIMESTAMP)` : `try_strptime(${col}, ${sqlString(format)})`;
}

export interface FormatCount {
  format: string;
  parsed: number;
}

/** The format that parses the most rows; the earliest listed wins a tie; none when nothing parses. */
export function chooseDateFormat(counts: FormatCount[]): FormatCount | undefined {
  let best: FormatCount | undefined;
  for (const c of counts) if (c.parsed > 0 && (!best || c.parsed > best.parsed)) best = c;
  return best;
}

/** DuckDB types that already are points in time. */
export function isTemporalType(type: string): boolean {
  return /^(TIMESTAMP|DATE)/i.test(type);
}

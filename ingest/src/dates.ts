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
  // (the formats above are tried first; those below only when none of them parses every date)
  // European day-first dates with points (never month-first), and date-only exports
  '%d.%m.%Y %H:%M',
  '%d.%m.%Y %H:%M:%S',
  '%d.%m.%Y',
  '%m/%d/%Y',
  '%d/%m/%Y',
  '%d-%m-%Y %H:%M',
  '%d-%m-%Y',
] as const;

/**
 * A UTC offset or zone letter at the end of a timestamp, as shop platforms write them
 * (`2011-12-09 12:50:00 +0000`, `2011-12-09T12:50:00-05:00`, `…Z`). It is cut off before parsing:
 * the calendar day that counts for recency is the one written in the export — the shop's own
 * local day — not that day shifted to UTC.
 */
export const OFFSET_RE = "'\\s*(Z|UTC|GMT|[+-][0-9]{2}:?[0-9]{2})$'";

/** How many of DATE_FORMATS are tried first. */
export const FIRST_FORMATS = 7;

/**
 * SQL that turns text column `col` into a TIMESTAMP, NULL when it does not parse. `offsets`: the
 * column has timestamps with a UTC offset, cut off first (only then: the regex costs on every row).
 */
export function parseDateSql(col: string, format: string, offsets = false): string {
  // a user's own format with %z/%Z parses the offset itself (and then DuckDB shifts to UTC)
  const text = offsets && !/%[zZ]/.test(format) ? `regexp_replace(${col}, ${OFFSET_RE}, '')` : col;
  if (format === 'ISO') return `TRY_CAST(${text} AS TIMESTAMP)`;
  const parsed = `try_strptime(${text}, ${sqlString(format)})`;
  return /%[zZ]/.test(format) ? `CAST(${parsed} AS TIMESTAMP)` : parsed;
}

/** The day-first twin of a month-first format (and back), to tell when a file reads both ways. */
export function swappedDayMonth(format: string): string | undefined {
  if (format.startsWith('%m/%d/')) return format.replace('%m/%d/', '%d/%m/');
  if (format.startsWith('%d/%m/')) return format.replace('%d/%m/', '%m/%d/');
  return undefined;
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

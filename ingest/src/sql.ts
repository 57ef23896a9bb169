/** SQL text helpers: anything user-supplied (paths, column names, formats) is quoted, never pasted. */

/** A string literal: single quotes doubled. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** An identifier: double quotes doubled. */
export function sqlIdent(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

/**
 * DuckDB's `trim(text)` (spaces and the other Unicode space separators, both ends), called only
 * where it can change something: trim copies every value it is given, and on the UCI export's five
 * role columns it was a third of the reading pass's time. A value can only need trimming when its
 * first byte is a space or below (`text < '!'`, also true of ''), its last is a space, or it holds
 * a non-ASCII character (strlen counts bytes, length characters).
 */
export function trimSql(text: string): string {
  return `CASE WHEN ${text} < '!' OR ends_with(${text}, ' ') OR strlen(${text}) <> length(${text}) THEN trim(${text}) ELSE ${text} END`;
}

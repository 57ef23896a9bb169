/** SQL text helpers: anything user-supplied (paths, column names, formats) is quoted, never pasted. */

/** A string literal: single quotes doubled. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** An identifier: double quotes doubled. */
export function sqlIdent(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

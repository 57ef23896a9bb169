/**
 * CSV formula injection (OWASP "CSV Injection"): a spreadsheet runs a cell that begins with
 * = + - @ (or their full-width forms, which Apple Numbers normalises), or a tab / carriage return
 * before one. Scored CSVs echo the uploader's text columns and carry segment names that an admin
 * chose, and people open them in spreadsheets, so such text cells get a leading apostrophe, the
 * convention spreadsheets show as plain text.
 *
 * csv-stringify's own `escape_formulas` spares only values of JS type number, and every echoed
 * cell is a string (we echo the upload verbatim, "1.50" stays "1.50"), so "-12.5" would turn into
 * text. Here a cell that reads as a plain decimal number, negative ones included, stays a number.
 */
const TRIGGER = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export function escapeFormula(cell: string): string {
  return TRIGGER.test(cell) && !NUMBER.test(cell) ? `'${cell}` : cell;
}

/** csv-stringify options: every string cell goes through escapeFormula (numbers are untouched). */
export const FORMULA_SAFE = { cast: { string: escapeFormula } } as const;

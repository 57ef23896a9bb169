import { headerNames } from '@rfm/ingest';
import { readFileHead } from './run-files.js';
import { constants, gunzipSync } from 'node:zlib';
import {
  ATTRIBUTE_COLUMN_NAMES,
  CUSTOMER_ATTRIBUTES,
  EXPORT_COLUMN_NAMES,
  EXPORT_ROLES,
  normalizeColumnName,
  type CustomerAttribute,
  type ExportRole,
} from '@rfm/shared';

/**
 * The upload page's column check (issue 12): the header and a few sample rows of an uploaded CSV or
 * CSV.gz, whether the known names cover what scoring needs, and a best guess per role for the
 * mapping form when they do not. The mapping it produces is the `--columns` mapping, checked again
 * by the import itself.
 */
export interface ExportPreview {
  columns: string[];
  /** up to 4 rows of values, one array per row, aligned with `columns` */
  samples: string[][];
}

const HEAD_BYTES = 64 * 1024;

/** One CSV line's fields, quotes removed, trimmed (the export reader's header splitting). */
const splitLine = (line: string, sep: string): string[] => headerNames(line, sep).map((f) => f.trim());

/** Header and sample rows of a CSV (plain or gzip) from its first 64 KB; null for Parquet or unreadable text. */
export function previewExport(file: string, format: string): ExportPreview | null {
  if (format !== 'csv' && format !== 'csv.gz') return null;
  let head = readFileHead(file, HEAD_BYTES);
  if (format === 'csv.gz') {
    try {
      head = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH }); // a partial stream inflates as far as it goes
    } catch {
      return null;
    }
  }
  const lines = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .slice(0, 6)
    .filter((l) => l.trim() !== '');
  if (!lines.length) return null;
  const first = lines[0]!;
  const sep = [',', ';', '\t', '|'].sort((a, b) => first.split(b).length - first.split(a).length)[0]!;
  const columns = splitLine(first, sep);
  const samples = lines.slice(1, 5).map((l) => splitLine(l, sep));
  return { columns, samples };
}

const KNOWN = new Map<string, ExportRole>();
for (const role of EXPORT_ROLES) for (const n of EXPORT_COLUMN_NAMES[role]) KNOWN.set(normalizeColumnName(n), role);

/** Words that suggest a role when a column's name is not one of the known names. */
const HINTS: [ExportRole, RegExp][] = [
  ['customer', /cust|client|member|buyer|shopper|user/],
  ['invoice', /invoice|order|receipt|transaction|basket|ticket/],
  ['date', /date|time|when|day|created|purchased/],
  ['quantity', /qty|quant|units|count|pieces/],
  ['price', /price|each|rate|cost/],
  ['amount', /amount|total|revenue|sales|value|spend|sum/],
];

const LOOKS_LIKE_DATE = /^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2})?)?$/;

/**
 * Best guess of a column for each role: known names first, then name hints, then (for the date) the
 * first column whose sample values all look like dates; each column used once.
 */
export function guessMapping(
  columns: readonly string[],
  samples: readonly string[][] = [],
): Partial<Record<ExportRole, string>> {
  const out: Partial<Record<ExportRole, string>> = {};
  const used = new Set<string>();
  for (const c of columns) {
    const role = KNOWN.get(normalizeColumnName(c));
    if (role && !out[role]) {
      out[role] = c;
      used.add(c);
    }
  }
  for (const [role, re] of HINTS) {
    if (out[role]) continue;
    const hit = columns.find((c) => !used.has(c) && re.test(c.toLowerCase()));
    if (hit) {
      out[role] = hit;
      used.add(hit);
    }
  }
  if (!out.date && samples.length) {
    const i = columns.findIndex((c, i) => !used.has(c) && samples.every((r) => LOOKS_LIKE_DATE.test(r[i] ?? '')));
    if (i >= 0) out.date = columns[i];
  }
  return out;
}

/** Do the known names alone give what scoring needs (customer, date, and quantity × price or an amount)? */
export function recognised(columns: readonly string[]): boolean {
  const roles = new Set(columns.map((c) => KNOWN.get(normalizeColumnName(c))).filter(Boolean));
  return (
    roles.has('customer') && roles.has('date') && ((roles.has('quantity') && roles.has('price')) || roles.has('amount'))
  );
}

/** Words that suggest a customer attribute column when its name is not a known one. */
const ATTRIBUTE_HINTS: [CustomerAttribute, RegExp][] = [
  ['email', /e-?mail|contact/],
  ['consent', /consent|opt.?in|marketing|newsletter|subscri|ok to mail|permission|accepts/],
  ['name', /name|person/],
];

/**
 * Best guess of the customer attribute columns (e-mail, name, consent) for the mapping form: the
 * export reader's known names first, then name hints; never a column already chosen for a
 * transaction role, except that the e-mail may be the customer id itself.
 */
export function guessAttributes(
  columns: readonly string[],
  mapping: Partial<Record<ExportRole, string>>,
): Partial<Record<CustomerAttribute, string>> {
  const roleCols = new Set(Object.values(mapping));
  const out: Partial<Record<CustomerAttribute, string>> = {};
  const free = (a: CustomerAttribute, c: string) =>
    (!roleCols.has(c) || (a === 'email' && c === mapping.customer)) && !Object.values(out).includes(c);
  for (const a of CUSTOMER_ATTRIBUTES) {
    const known = ATTRIBUTE_COLUMN_NAMES[a].map(normalizeColumnName);
    const hit = known.map((k) => columns.find((c) => normalizeColumnName(c) === k && free(a, c))).find(Boolean);
    if (hit) out[a] = hit;
  }
  for (const [a, re] of ATTRIBUTE_HINTS) {
    if (out[a]) continue;
    const hit = columns.find((c) => free(a, c) && re.test(c.toLowerCase()));
    if (hit) out[a] = hit;
  }
  return out;
}

/** Problems of a mapping a person chose, by role (empty: usable). */
export function mappingProblems(m: Partial<Record<ExportRole, string>>): Partial<Record<ExportRole, string>> {
  const out: Partial<Record<ExportRole, string>> = {};
  const seen = new Map<string, ExportRole>();
  for (const role of EXPORT_ROLES) {
    const c = m[role];
    if (!c) continue;
    const other = seen.get(c);
    if (other) out[role] = `"${c}" is already chosen for ${other}: each column plays one role`;
    else seen.set(c, role);
  }
  if (!m.customer) out.customer ??= 'choose the column that identifies the customer';
  if (!m.date) out.date ??= 'choose the column with the invoice date';
  if (!m.amount && !(m.quantity && m.price)) {
    if (!m.quantity) out.quantity ??= 'choose quantity and price, or an amount column';
    if (!m.price) out.price ??= 'choose quantity and price, or an amount column';
  }
  return out;
}

import {
  ATTRIBUTE_COLUMN_NAMES,
  CONSENT_NO,
  CONSENT_YES,
  CUSTOMER_ATTRIBUTES,
  FIRST_LAST_NAME_COLUMNS,
  normalizeColumnName,
  RfmError,
  type CustomerAttribute,
  type Issue,
} from '@rfm/shared';
import { parseColumnPairs, type ResolvedColumns } from './columns.js';
import type { ColumnInfo } from './source.js';
import { sqlIdent, sqlString } from './sql.js';

/**
 * Customer attributes (e-mail, name, marketing consent) read beside the transactions: recognised
 * by name (shared ATTRIBUTE_COLUMN_NAMES) or named with `--attributes email=…,name=…,consent=…`.
 * Per customer the latest non-empty value wins (latest by invoice date). The values are personal
 * data: nothing here puts one in a message, except where a consent word is short and plainly not
 * an address (see consentShown).
 */
export type AttributeMapping = Partial<Record<CustomerAttribute, string>>;

/**
 * `none`: read no attribute columns at all (an export whose `Consent` column means something else).
 * In a mapping, an empty column name says that attribute is absent (not recognised by name either).
 */
export type AttributeRequest = AttributeMapping | 'none';

/** The source of each attribute found: a column, or a first + last name pair. */
export interface AttributeColumns {
  email?: string;
  name?: string | { first: string; last: string };
  consent?: string;
}

/** `email=Mail,consent=Opt In` → mapping; `none` turns recognition off; unknown keys and empty names are errors. */
export function parseAttributeMapping(spec: string): AttributeRequest {
  if (spec.trim().toLowerCase() === 'none') return 'none';
  const { out, issues } = parseColumnPairs(spec, CUSTOMER_ATTRIBUTES, '--attributes', 'attribute');
  if (issues.length)
    throw new RfmError(
      'INVALID_INPUT',
      `invalid --attributes "${spec}": ${issues.map((i) => i.message).join('; ')} (write email=COLUMN,name=COLUMN,consent=COLUMN, or none)`,
      { issues },
    );
  return out;
}

const find = (cols: ColumnInfo[], want: string) =>
  cols.find((c) => normalizeColumnName(c.name) === normalizeColumnName(want))?.name;

/**
 * Which columns hold the attributes: mapped ones must exist (an error names the missing column and
 * lists the columns found); the rest are recognised by name, never taking a column that already
 * plays a transaction role (Shopify's `Name` is the order) — except that the e-mail may be the
 * customer id itself, as in Shopify's export. Undefined when there are none.
 */
export function resolveAttributes(
  described: ColumnInfo[],
  roles: ResolvedColumns,
  request: AttributeRequest,
  file: string,
): AttributeColumns | undefined {
  if (request === 'none') return undefined;
  const cols = described.filter((c) => !c.name.startsWith('_rfm_'));
  const used = new Set(
    [
      roles.invoice?.name,
      roles.date.name,
      ...(roles.value.kind === 'amount'
        ? [roles.value.amount.name]
        : [roles.value.quantity.name, roles.value.price.name]),
    ].filter((n): n is string => n !== undefined),
  );
  const free = cols.filter((c) => !used.has(c.name) && c.name !== roles.customer.name);
  const out: AttributeColumns = {};
  const issues: Issue[] = [];
  for (const key of CUSTOMER_ATTRIBUTES) {
    const mapped = request[key];
    if (mapped === '') continue; // named as absent (the web mapping form's "— none —"): not recognised either
    if (mapped !== undefined) {
      const hit =
        cols.find((c) => c.name === mapped) ?? cols.find((c) => c.name.toLowerCase() === mapped.toLowerCase());
      if (hit) out[key] = hit.name;
      else
        issues.push({
          path: `attributes.${key}`,
          message: `column "${mapped}" given for ${key} is not in the file`,
          expected: mapped,
          found: cols.map((c) => c.name).join(', '),
        });
      continue;
    }
    const pool = key === 'email' ? cols.filter((c) => !used.has(c.name)) : free;
    for (const want of ATTRIBUTE_COLUMN_NAMES[key]) {
      const hit = find(pool, want);
      if (hit) {
        out[key] = hit;
        break;
      }
    }
    if (key === 'name' && out.name === undefined)
      for (const [first, last] of FIRST_LAST_NAME_COLUMNS) {
        const f = find(free, first);
        const l = find(free, last);
        if (f && l) {
          out.name = { first: f, last: l };
          break;
        }
      }
  }
  if (issues.length)
    throw new RfmError(
      'INVALID_INPUT',
      `${file}: ${issues.map((i) => i.message).join('; ')}. Columns found: ${issues[0]!.found}`,
      { issues },
    );
  return Object.keys(out).length ? out : undefined;
}

/** Said in the summary's reader notes: which column gave which attribute (names only, never values). */
export function attributesNote(a: AttributeColumns): string {
  const parts = CUSTOMER_ATTRIBUTES.filter((k) => a[k] !== undefined).map((k) => {
    const v = a[k]!;
    return `${k} = ${typeof v === 'string' ? v : `${v.first} + ${v.last}`}`;
  });
  return `customer attributes: ${parts.join(', ')} (the latest non-empty value per customer, by invoice date)`;
}

const text = (col: string) => `NULLIF(trim(replace(CAST(${sqlIdent(col)} AS VARCHAR), chr(0), '')), '')`;

/** The consent word of a raw value as SQL: as consentWord does it in shared. */
const consentWordSql = (col: string) => `replace(lower(${text(col)}), '_', ' ')`;

/** 1 consented, 0 not, -1 a word that is neither, NULL blank. */
export function consentSql(col: string): string {
  const list = (xs: readonly string[]) => xs.map(sqlString).join(', ');
  const w = consentWordSql(col);
  return `CASE WHEN ${text(col)} IS NULL THEN NULL WHEN ${w} IN (${list(CONSENT_YES)}) THEN 1 WHEN ${w} IN (${list(CONSENT_NO)}) THEN 0 ELSE -1 END`;
}

/** Per-row attribute expressions for stage 1's inner select: `, … AS a_email, …`. */
export function attributeRowSql(a: AttributeColumns): string {
  const out: string[] = [];
  if (a.email) out.push(`${text(a.email)} AS a_email`);
  if (a.name)
    out.push(
      typeof a.name === 'string'
        ? `${text(a.name)} AS a_name`
        : `NULLIF(concat_ws(' ', ${text(a.name.first)}, ${text(a.name.last)}), '') AS a_name`,
    );
  if (a.consent) out.push(`${consentSql(a.consent)} AS a_consent`);
  return out.map((s) => `, ${s}`).join('');
}

/**
 * Stage 1's per-invoice aggregates. Within one order the values agree (or only its first row has
 * them, as in Shopify's export); where they differ, the larger text wins (deterministic) and a
 * "no" to consent wins over a "yes".
 */
export function attributeInvoiceSql(a: AttributeColumns): string {
  const out: string[] = [];
  if (a.email) out.push('max(a_email) AS a_email');
  if (a.name) out.push('max(a_name) AS a_name');
  if (a.consent)
    out.push('min(a_consent) FILTER (WHERE a_consent >= 0) AS a_consent, bool_or(a_consent = -1) AS a_consent_bad');
  return out.map((s) => `,\n       ${s}`).join('');
}

/**
 * The per-customer table `rfm_attrs` (cid, email, name, consent): the latest non-empty value of
 * each over the customer's invoices with a date; ties on the date are broken by invoice number so
 * the same export always gives the same answer.
 */
export function attributesTableSql(a: AttributeColumns): string {
  const latest = (col: string) =>
    `arg_max(${col}, (ts, coalesce(inv, ''), ${col})) FILTER (WHERE ${col} IS NOT NULL) AS ${col.slice(2)}`;
  const sel = [
    a.email ? latest('a_email') : 'CAST(NULL AS VARCHAR) AS email',
    a.name ? latest('a_name') : 'CAST(NULL AS VARCHAR) AS name',
    a.consent ? latest('a_consent') : 'CAST(NULL AS INTEGER) AS consent',
  ];
  return `CREATE TEMP TABLE rfm_attrs AS SELECT cust AS cid, ${sel.join(', ')} FROM rfm_tx WHERE ts IS NOT NULL GROUP BY cust`;
}

/**
 * A consent word as an error may show it: short words only, never anything with an `@`, a digit
 * run or a space (that may be an address, a phone number or a name from a wrongly mapped column).
 */
export function consentShown(v: string): string {
  return /^[\p{L}_-]{1,20}$/u.test(v)
    ? `"${v}"`
    : `a value of ${[...v].length} characters (not shown: it may be personal data)`;
}

/** The error for a consent value that is neither yes nor no, naming the column and the line. */
export function badConsentError(
  file: string,
  column: string,
  line: number,
  value: string,
  unit: 'line' | 'row',
): RfmError {
  const shown = consentShown(value.trim());
  return new RfmError(
    'INVALID_INPUT',
    `${file}: column "${column}", ${unit} ${line}: consent value ${shown} is neither yes nor no ` +
      `(accepted: ${CONSENT_YES.slice(0, 6).join(', ')}, opt-in, subscribed, … and ${CONSENT_NO.slice(0, 6).join(', ')}, opt-out, unsubscribed, …; ` +
      'blank means not known). Fix the export, name the right column with --attributes consent=COLUMN, or read no attributes with --attributes none',
    {
      issues: [
        {
          path: `column ${column}, ${unit} ${line}`,
          message: 'unrecognised consent value',
          expected: 'yes / no (or true/false, 1/0, opt-in/opt-out, subscribed/unsubscribed)',
          found: shown,
        },
      ],
    },
  );
}

import {
  EXPORT_COLUMN_NAMES,
  EXPORT_ROLES,
  normalizeColumnName,
  RfmError,
  type ExportRole,
  type Issue,
} from '@rfm/shared';
import type { ColumnInfo } from './source.js';

/**
 * Which export column plays which role. The known names (UCI Online Retail, Online Retail II,
 * generic) are listed once, in shared/src/columns.ts; anything else is named with a mapping
 * (`--columns customer=…,invoice=…,…`). Monetary comes from quantity × price, or from an amount
 * column when the export has one instead.
 */
export const ROLES = EXPORT_ROLES;
export type Role = ExportRole;
export type ColumnMapping = Partial<Record<Role, string>>;

/** Known names per role, in order of preference (UCI first, then Online Retail II, then generic). */
export const KNOWN_NAMES = EXPORT_COLUMN_NAMES;

export type ValueColumns =
  | { kind: 'quantity_price'; quantity: ColumnInfo; price: ColumnInfo }
  | { kind: 'amount'; amount: ColumnInfo };

export interface ResolvedColumns {
  customer: ColumnInfo;
  /** absent: the export has one row per order and no invoice id (frequency then counts purchase days) */
  invoice?: ColumnInfo;
  date: ColumnInfo;
  value: ValueColumns;
}

/** Case, spaces and punctuation do not matter when recognising a known name. */
export const normalizeName = normalizeColumnName;

function findKnown(cols: ColumnInfo[], role: Role): ColumnInfo | undefined {
  for (const want of KNOWN_NAMES[role]) {
    const hit = cols.find((c) => normalizeName(c.name) === normalizeName(want));
    if (hit) return hit;
  }
  return undefined;
}

/** A mapped name must exist; exact match first, then case-insensitive. */
function findMapped(cols: ColumnInfo[], name: string): ColumnInfo | undefined {
  return cols.find((c) => c.name === name) ?? cols.find((c) => c.name.toLowerCase() === name.toLowerCase());
}

export function resolveColumns(cols: ColumnInfo[], mapping: ColumnMapping = {}, file = 'export'): ResolvedColumns {
  const found = cols.map((c) => c.name);
  const list = found.join(', ');
  const issues: Issue[] = [];
  const pick = (role: Role): ColumnInfo | undefined => {
    const mapped = mapping[role];
    if (mapped !== undefined) {
      const hit = findMapped(cols, mapped);
      if (!hit)
        issues.push({
          path: `columns.${role}`,
          message: `column "${mapped}" given for ${role} is not in the file`,
          expected: mapped,
          found: list,
        });
      return hit;
    }
    return findKnown(cols, role);
  };
  const missing = (role: Role) =>
    issues.push({
      path: `columns.${role}`,
      message: `no ${role} column`,
      expected: `one of ${KNOWN_NAMES[role].join(', ')} or --columns ${role}=NAME`,
      found: list,
    });

  const customer = pick('customer');
  const invoice = pick('invoice');
  const date = pick('date');
  if (!customer && mapping.customer === undefined) missing('customer');
  if (!date && mapping.date === undefined) missing('date');

  let value: ValueColumns | undefined;
  const wantsAmount = mapping.amount !== undefined;
  const wantsQp = mapping.quantity !== undefined || mapping.price !== undefined;
  if (wantsAmount && wantsQp)
    issues.push({ path: 'columns', message: 'map either amount or quantity and price, not both' });
  else if (wantsAmount) {
    const amount = pick('amount');
    if (amount) value = { kind: 'amount', amount };
  } else {
    const quantity = pick('quantity');
    const price = pick('price');
    const amount = !wantsQp && !(quantity && price) ? findKnown(cols, 'amount') : undefined;
    if (quantity && price) value = { kind: 'quantity_price', quantity, price };
    else if (amount) value = { kind: 'amount', amount };
    else {
      if (!quantity && mapping.quantity === undefined) missing('quantity');
      if (!price && mapping.price === undefined) missing('price');
    }
  }

  if (issues.length || !customer || !date || !value) {
    const names = issues.filter((i) => i.message.startsWith('no ')).map((i) => i.path.replace('columns.', ''));
    let head = names.length
      ? `missing required column(s): ${names.join(', ')}`
      : issues.map((i) => i.message).join('; ');
    // one column whose name holds the others: the delimiter was not recognised
    if (cols.length === 1 && /[,;|\t#:]/.test(found[0] ?? ''))
      head =
        'the file was read as one single column, so its delimiter was not recognised' +
        ` (use , ; | or tab, the same number of fields on every line, and close every quote); ${head}`;
    throw new RfmError(
      'INVALID_INPUT',
      `${file}: ${head}. Columns found: ${list}. Name them with --columns customer=…,invoice=…,date=…,quantity=…,price=… (or amount=…)`,
      { issues },
    );
  }
  return { customer, ...(invoice ? { invoice } : {}), date, value };
}

/**
 * `key=Column Name,key=…` → record, for the flags that map names to columns (`--columns`,
 * `--attributes`): a key not in `keys`, an empty name or a key given twice is an issue naming `flag`.
 */
export function parseColumnPairs<K extends string>(
  spec: string,
  keys: readonly K[],
  flag: string,
  word: string,
): { out: Partial<Record<K, string>>; issues: Issue[] } {
  const out: Partial<Record<K, string>> = {};
  const issues: Issue[] = [];
  for (const part of spec.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    const name = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (!(keys as readonly string[]).includes(key))
      issues.push({ path: flag, message: `unknown ${word} "${key}"`, expected: keys.join(', '), found: key });
    else if (name === '')
      issues.push({ path: flag, message: `no column name for ${key}`, expected: `${key}=NAME`, found: part.trim() });
    else if (out[key as K] !== undefined) issues.push({ path: flag, message: `${key} given twice` });
    else out[key as K] = name;
  }
  return { out, issues };
}

/** `customer=Customer ID,invoice=Invoice,…` → mapping; unknown roles and empty names are errors. */
export function parseColumnMapping(spec: string): ColumnMapping {
  const { out, issues } = parseColumnPairs(spec, ROLES, '--columns', 'role');
  if (issues.length)
    throw new RfmError('INVALID_INPUT', `invalid --columns "${spec}": ${issues.map((i) => i.message).join('; ')}`, {
      issues,
    });
  return out;
}

/**
 * Column names rfm recognises, in one place. The export reader (@rfm/ingest), the raw-transactions
 * route (`POST /api/v1/predict/transactions`) and the CSV scoring route (`POST /api/v1/predict/csv`)
 * all look names up here, so a name accepted by one is accepted by the others.
 *
 * Names are compared after `normalizeColumnName`: case, spaces and punctuation do not matter.
 */

/** Roles of the columns of a transaction export (one line per item or per order). */
export const EXPORT_ROLES = ['customer', 'invoice', 'date', 'quantity', 'price', 'amount'] as const;
export type ExportRole = (typeof EXPORT_ROLES)[number];

/**
 * Known export column names per role, in order of preference: UCI Online Retail first, then
 * Online Retail II, then generic names. Monetary comes from quantity × price, or from an amount
 * column when the export has one instead.
 */
export const EXPORT_COLUMN_NAMES: Record<ExportRole, readonly string[]> = {
  customer: ['CustomerID', 'Customer ID', 'customer_id', 'cid', 'Customer'],
  invoice: ['InvoiceNo', 'Invoice', 'invoice_no', 'invoice_id', 'InvoiceNumber'],
  date: ['InvoiceDate', 'invoice_date', 'Date'],
  quantity: ['Quantity', 'Qty'],
  price: ['UnitPrice', 'Price', 'unit_price'],
  amount: ['Amount', 'LineAmount', 'line_total', 'Revenue'],
};

/** Fields of an RFM table (`rfm features` output, `--features` input, the CSV scoring route). */
export const FEATURE_FIELDS = ['cid', 'recency', 'frequency', 'monetary'] as const;
export type FeatureField = (typeof FEATURE_FIELDS)[number];

/** Known RFM-table column names per field (the field names `CID, Recency, Frequency, Monetary` are accepted too). */
export const FEATURE_COLUMN_NAMES: Record<FeatureField, readonly string[]> = {
  cid: ['cid', 'customer_id', 'CustomerID', 'customer'],
  recency: ['recency', 'recency_days'],
  frequency: ['frequency'],
  monetary: ['monetary'],
};

/** Case, spaces and punctuation do not matter when recognising a known name. */
export function normalizeColumnName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** normalised name → role, for lookups one name at a time (the first role listing a name wins). */
export function columnIndex<R extends string>(names: Record<R, readonly string[]>): ReadonlyMap<string, R> {
  const out = new Map<string, R>();
  for (const [role, list] of Object.entries(names) as [R, readonly string[]][])
    for (const n of list) {
      const key = normalizeColumnName(n);
      if (!out.has(key)) out.set(key, role);
    }
  return out;
}

/**
 * Customer attributes an export may carry besides transactions: what an email tool needs to send
 * a campaign to a segment list. They are personal data (see the README's personal-data section):
 * kept per customer in saved runs, written to customer downloads, never logged.
 */
export const CUSTOMER_ATTRIBUTES = ['email', 'name', 'consent'] as const;
export type CustomerAttribute = (typeof CUSTOMER_ATTRIBUTES)[number];

/**
 * Known attribute column names, in order of preference. Shopify's orders export names the buyer
 * `Email`, `Billing Name` and `Accepts Marketing` (its `Name` is the order number, so `Name` counts
 * as a person's name only outside the Shopify layout, and never when it is the invoice column).
 * A first + last name pair is joined when no whole-name column exists.
 */
export const ATTRIBUTE_COLUMN_NAMES: Record<CustomerAttribute, readonly string[]> = {
  email: ['Email', 'E-mail', 'Email Address', 'Customer Email', 'customer_email', 'billing_email', 'Mail'],
  name: ['Billing Name', 'Customer Name', 'customer_name', 'Full Name', 'billing_name', 'Name'],
  consent: [
    'Accepts Marketing',
    'Accepts Email Marketing',
    'Email Marketing Consent',
    'Marketing Consent',
    'Marketing Opt In',
    'Email Opt In',
    'Newsletter',
    'Consent',
    'Opt In',
    'Subscribed',
  ],
};

/** First / last name column pairs joined into the name when no whole-name column exists. */
export const FIRST_LAST_NAME_COLUMNS: readonly (readonly [string, string])[] = [
  ['First Name', 'Last Name'],
  ['Billing First Name', 'Billing Last Name'],
  ['Customer First Name', 'Customer Last Name'],
  ['Firstname', 'Lastname'],
];

/**
 * Consent values, compared lower-case after trimming. Anything else that is not blank is refused
 * with an error naming the column and line: a consent column holding other words is more likely
 * the wrong column than a list of people who agreed, and guessing either way sends mail to people
 * who did not ask for it or silently drops people who did.
 */
export const CONSENT_YES: readonly string[] = [
  'yes',
  'y',
  'true',
  't',
  '1',
  '1.0',
  'opt-in',
  'opt in',
  'opted in',
  'optin',
  'subscribed',
  'consented',
  'granted',
  'accepted',
  'on',
];
export const CONSENT_NO: readonly string[] = [
  'no',
  'n',
  'false',
  'f',
  '0',
  '0.0',
  'opt-out',
  'opt out',
  'opted out',
  'optout',
  'unsubscribed',
  'not subscribed',
  'declined',
  'denied',
  'revoked',
  'off',
  'pending',
  'redacted',
  'invalid',
];

/** How a consent value is compared: trimmed, lower-case, `_` read as a space (Shopify's `not_subscribed`). */
export function consentWord(raw: string | null | undefined): string {
  return (raw ?? '').trim().toLowerCase().replaceAll('_', ' ');
}

/** A consent value → true / false; null when blank; undefined when it is not a known consent word. */
export function parseConsent(raw: string | null | undefined): boolean | null | undefined {
  const v = consentWord(raw);
  if (v === '') return null;
  if (CONSENT_YES.includes(v)) return true;
  if (CONSENT_NO.includes(v)) return false;
  return undefined;
}

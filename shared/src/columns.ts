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

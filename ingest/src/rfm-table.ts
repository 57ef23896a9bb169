/** Consent of a customer, one byte each: no, yes, or not known (the export's consent cells were blank). */
export const CONSENT_NO = 0;
export const CONSENT_YES = 1;
export const CONSENT_UNKNOWN = 2;

/**
 * Customer attributes read beside the RFM table, one entry per customer in the table's order:
 * present only for the attributes the export has ('' when a customer has no value).
 */
export interface TableAttributes {
  email?: string[];
  name?: string[];
  /** CONSENT_NO / CONSENT_YES / CONSENT_UNKNOWN */
  consent?: Uint8Array;
}

/** The RFM feature table in memory: one row per customer, sorted by customer id. */
export interface RfmTable {
  cids: string[];
  /** row-major recency (days), frequency (invoices), monetary (sum of quantity × price) */
  raw: Float64Array;
  /** only when attributes were asked for and the export has some */
  attributes?: TableAttributes;
}

/**
 * Sort rows by customer id (code-unit order). Both the export path and the features path go
 * through here, so the same customers in any file order give the same model for the same seed.
 */
export function sortByCid(t: RfmTable): RfmTable {
  const n = t.cids.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) =>
    t.cids[a]! < t.cids[b]! ? -1 : t.cids[a]! > t.cids[b]! ? 1 : 0,
  );
  const raw = new Float64Array(n * 3);
  for (const [dst, src] of order.entries()) raw.set(t.raw.subarray(src * 3, src * 3 + 3), dst * 3);
  const a = t.attributes;
  const attributes: TableAttributes | undefined = a && {
    ...(a.email ? { email: order.map((i) => a.email![i]!) } : {}),
    ...(a.name ? { name: order.map((i) => a.name![i]!) } : {}),
    ...(a.consent ? { consent: Uint8Array.from(order, (i) => a.consent![i]!) } : {}),
  };
  return { cids: order.map((i) => t.cids[i]!), raw, ...(attributes ? { attributes } : {}) };
}

/** One column of the table (0 recency, 1 frequency, 2 monetary). */
export function column(t: RfmTable, j: 0 | 1 | 2): Float64Array {
  const n = t.cids.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = t.raw[i * 3 + j]!;
  return out;
}

/** The RFM feature table in memory: one row per customer, sorted by customer id. */
export interface RfmTable {
  cids: string[];
  /** row-major recency (days), frequency (invoices), monetary (sum of quantity × price) */
  raw: Float64Array;
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
  return { cids: order.map((i) => t.cids[i]!), raw };
}

/** One column of the table (0 recency, 1 frequency, 2 monetary). */
export function column(t: RfmTable, j: 0 | 1 | 2): Float64Array {
  const n = t.cids.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = t.raw[i * 3 + j]!;
  return out;
}

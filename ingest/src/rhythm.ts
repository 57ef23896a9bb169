import type { DuckDBConnection } from '@duckdb/node-api';
import type { PurchaseRhythm } from '@rfm/shared';

/**
 * The shop's purchase rhythm as the export reader measures it: the median, over customers with 2+
 * purchases, of (last − first purchase day) / (purchases − 1) — each repeat customer's mean gap.
 * It needs each customer's first purchase, which the RFM table does not hold, so the reader keeps
 * `active_days` (first to last purchase day) in its `rfm` temp table and runs this on it.
 * Segment naming (training) judges recency against it.
 */

/** SQL over the export reader's `rfm` table (cid, recency, frequency, monetary, active_days). */
export const RHYTHM_SQL = `SELECT
  median(CAST(active_days AS DOUBLE) / (frequency - 1)) FILTER (WHERE frequency > 1) AS gap,
  count(*) FILTER (WHERE frequency > 1) AS repeat_customers,
  max(recency + active_days) - min(recency) AS span_days
FROM rfm`;

export async function readPurchaseRhythm(conn: DuckDBConnection): Promise<PurchaseRhythm> {
  const reader = await conn.runAndReadAll(RHYTHM_SQL);
  const [row] = reader.getRowObjectsJS() as { gap: number | null; repeat_customers: bigint; span_days: bigint }[];
  return {
    median_gap_days: row?.gap ?? null,
    repeat_customers: Number(row?.repeat_customers ?? 0),
    span_days: Number(row?.span_days ?? 0),
    basis: 'transactions',
  };
}

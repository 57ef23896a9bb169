import type { PurchaseRhythm } from '@rfm/shared';
import { median } from '@rfm/shared';
import type { RfmTable } from '@rfm/ingest';

/**
 * The shop's purchase rhythm, which segment names are judged against ("recent" means within a
 * couple of the shop's usual gaps between purchases, not "more recent than most customers").
 *
 * Measured: the median, over customers with 2+ purchases, of (last − first purchase day) /
 * (purchases − 1) — each repeat customer's mean gap. It needs each customer's first purchase, which
 * the RFM table does not hold, so the export reader keeps `active_days` (first to last purchase
 * day) in its `rfm` temp table and calls `readPurchaseRhythm` on it.
 */

/** Fewer repeat customers than this and the measured gap is not trusted (a quarter of the span is used). */
export const MIN_REPEAT_CUSTOMERS = 10;

/**
 * For an RFM table with no dates (--features): a repeat customer's first purchase is at most the
 * largest recency in the table ago, so its mean gap is at most (largest recency − recency) /
 * (frequency − 1); the median of those bounds. An overestimate, so names lean to "recent" here.
 */
export function estimateRhythm(table: RfmTable): PurchaseRhythm {
  const n = table.cids.length;
  let maxR = 0;
  let minR = Infinity;
  for (let i = 0; i < n; i++) {
    maxR = Math.max(maxR, table.raw[i * 3]!);
    minR = Math.min(minR, table.raw[i * 3]!);
  }
  const gaps: number[] = [];
  for (let i = 0; i < n; i++) {
    const f = table.raw[i * 3 + 1]!;
    if (f > 1) gaps.push((maxR - table.raw[i * 3]!) / (f - 1));
  }
  return {
    median_gap_days: gaps.length ? median(gaps) : null,
    repeat_customers: gaps.length,
    span_days: n ? maxR - minR : 0,
    basis: 'rfm_table',
  };
}

/** The gap names are judged against, in days (≥ 1), and where it came from in words. */
export function usualGap(r: PurchaseRhythm): { days: number; basis: string } {
  const repeat = r.repeat_customers.toLocaleString('en-US');
  if (r.median_gap_days !== null && r.repeat_customers >= MIN_REPEAT_CUSTOMERS) {
    const bound = r.basis === 'rfm_table' ? ' (an upper bound: the RFM table has no first-purchase dates)' : '';
    const floor = r.median_gap_days < 1 ? ', at least 1 day' : '';
    return {
      days: Math.max(1, r.median_gap_days),
      basis: `median gap between purchases of the ${repeat} repeat customers${bound}${floor}`,
    };
  }
  return {
    days: Math.max(1, r.span_days / 4),
    basis: `a quarter of the data's ${Math.round(r.span_days)}-day span: only ${repeat} repeat customers, too few to measure the gap`,
  };
}

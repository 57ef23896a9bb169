import { median, type ArtifactSegment } from '@rfm/shared';
import type { ScoredCustomers, SegmentSummary } from './types.js';

/**
 * One line per segment of the version (empty ones included, so a run lists every segment it could
 * have used): customers and their share, revenue (sum of monetary) and its share, median R/F/M.
 * The "8% of customers bring 50% of revenue" view. Pure.
 */
export function summarize(
  c: ScoredCustomers,
  segments: readonly Pick<ArtifactSegment, 'cluster' | 'key' | 'name'>[],
): SegmentSummary[] {
  const k = segments.length;
  const n = c.cid.length;
  const counts = new Array<number>(k).fill(0);
  const revenue = new Array<number>(k).fill(0);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const cl = c.cluster[i]!;
    counts[cl]!++;
    revenue[cl]! += c.monetary[i]!;
    total += c.monetary[i]!;
  }
  // one pass to bucket indices per cluster, then medians per bucket
  const offsets = new Array<number>(k + 1).fill(0);
  for (let cl = 0; cl < k; cl++) offsets[cl + 1] = offsets[cl]! + counts[cl]!;
  const order = new Uint32Array(n);
  const fill = offsets.slice(0, k);
  for (let i = 0; i < n; i++) order[fill[c.cluster[i]!]!++] = i;
  const medianOf = (col: Float64Array, cl: number): number | null => {
    if (!counts[cl]) return null;
    const vals = new Float64Array(counts[cl]!);
    for (let j = offsets[cl]!, t = 0; j < offsets[cl + 1]!; j++, t++) vals[t] = col[order[j]!]!;
    return median(vals);
  };
  return [...segments]
    .sort((a, b) => a.cluster - b.cluster)
    .map((s) => ({
      segment: s.name,
      key: s.key,
      cluster: s.cluster,
      customers: counts[s.cluster]!,
      customerShare: n ? counts[s.cluster]! / n : 0,
      revenue: revenue[s.cluster]!,
      revenueShare: total ? revenue[s.cluster]! / total : 0,
      medianRecency: medianOf(c.recency, s.cluster),
      medianFrequency: medianOf(c.frequency, s.cluster),
      medianMonetary: medianOf(c.monetary, s.cluster),
    }));
}

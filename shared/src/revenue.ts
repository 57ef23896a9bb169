import type { ArtifactSegment } from './schemas.js';

/**
 * Each segment's revenue on the training data and its share of the total: a segment's mean
 * monetary value is the plain mean over its training customers, so size × mean is exactly their
 * summed spend; no stored customer table is needed, and every artifact version has both. Pure.
 */
export function trainingRevenue(
  segments: readonly Pick<ArtifactSegment, 'cluster' | 'size' | 'mean'>[],
): Map<number, { revenue: number; share: number }> {
  const revenue = segments.map((s) => s.size * s.mean.monetary);
  const total = revenue.reduce((a, b) => a + b, 0);
  return new Map(
    segments.map((s, i) => [s.cluster, { revenue: revenue[i]!, share: total > 0 ? revenue[i]! / total : 0 }]),
  );
}

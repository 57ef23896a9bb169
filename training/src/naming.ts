import {
  inverseTransform,
  LOST_BEYOND_GAPS,
  median,
  nameClusters,
  quintiles,
  RECENT_WITHIN_GAPS,
  scoreRfm,
  type ArtifactSegment,
  type NamingRule,
  type PurchaseRhythm,
  type RfmValues,
  type Scaler,
} from '@rfm/shared';
import { usualGap } from './rhythm.js';
import { clusterMeans, clusterSizes } from './metrics/metrics.js';
import { column, type RfmTable } from '@rfm/ingest';

export interface NamedModel {
  quintiles: { recency: number[]; frequency: number[]; monetary: number[] };
  segments: ArtifactSegment[];
  naming: NamingRule;
}

/**
 * Business names for the clusters: centroids mapped back to days / invoices / money and scored
 * against the population's quintiles (the scores people see); the names themselves are decided
 * from each cluster's medians against the shop's purchase rhythm by the shared rule (nameClusters).
 */
export function nameSegments(
  table: RfmTable,
  scaler: Scaler,
  centers: Float64Array,
  labels: Int32Array,
  k: number,
  rhythm: PurchaseRhythm,
): NamedModel {
  const q = {
    recency: quintiles(column(table, 0)),
    frequency: quintiles(column(table, 1)),
    monetary: quintiles(column(table, 2)),
  };
  const sizes = clusterSizes(labels, k);
  const centroids: RfmValues[] = Array.from({ length: k }, (_, c) =>
    inverseTransform(scaler, centers.subarray(c * 3, c * 3 + 3)),
  );
  const means = clusterMeans(table.raw, 3, labels, k);
  const medians = clusterMedians(table.raw, labels, k, sizes);
  // An empty cluster has no median or mean; its centroid is the honest stand-in.
  const med = (c: number) => (sizes[c]! > 0 ? medians[c]! : centroids[c]!);
  const gap = usualGap(rhythm);
  const named = nameClusters(
    centroids.map((centroid, c) => ({ cluster: c, size: sizes[c]!, median: med(c), scores: scoreRfm(centroid, q) })),
    q,
    gap.days,
  );
  const segments = named.map((s) => {
    const c = s.cluster;
    const mean =
      sizes[c]! > 0
        ? { recency: means[c * 3]!, frequency: means[c * 3 + 1]!, monetary: means[c * 3 + 2]! }
        : centroids[c]!;
    return { ...s, centroid: centroids[c]!, mean, median: med(c), size: sizes[c]! };
  });
  return {
    quintiles: { recency: [...q.recency], frequency: [...q.frequency], monetary: [...q.monetary] },
    segments,
    naming: {
      rule: 'rhythm',
      usual_gap_days: Math.round(gap.days * 100) / 100,
      gap_basis: gap.basis,
      recent_within_gaps: RECENT_WITHIN_GAPS,
      lost_beyond_gaps: LOST_BEYOND_GAPS,
    },
  };
}

/** Median recency, frequency and monetary of each cluster's customers (NaN-free: empty clusters are skipped). */
export function clusterMedians(
  raw: Float64Array,
  labels: Int32Array,
  k: number,
  sizes: number[],
): (RfmValues | undefined)[] {
  const cols = sizes.map((sz) => [new Float64Array(sz), new Float64Array(sz), new Float64Array(sz)]);
  const fill = new Array<number>(k).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    const at = fill[c]!++;
    for (let j = 0; j < 3; j++) cols[c]![j]![at] = raw[i * 3 + j]!;
  }
  return cols.map((cc, c) =>
    sizes[c]! > 0 ? { recency: median(cc[0]!), frequency: median(cc[1]!), monetary: median(cc[2]!) } : undefined,
  );
}

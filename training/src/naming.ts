import {
  inverseTransform,
  median,
  nameClusters,
  quintiles,
  type ArtifactSegment,
  type RfmValues,
  type Scaler,
} from '@rfm/shared';
import { clusterMeans, clusterSizes } from './metrics/metrics.js';
import { column, type RfmTable } from '@rfm/ingest';

export interface NamedModel {
  quintiles: { recency: number[]; frequency: number[]; monetary: number[] };
  segments: ArtifactSegment[];
}

/**
 * Business names for the clusters: centroids mapped back to days / invoices / money, scored
 * against the population's quintiles, named by the shared catalogue rule (unique names).
 */
export function nameSegments(
  table: RfmTable,
  scaler: Scaler,
  centers: Float64Array,
  labels: Int32Array,
  k: number,
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
  const named = nameClusters(centroids, sizes, q);
  const medians = clusterMedians(table.raw, labels, k, sizes);
  const segments = named.map((s) => {
    const c = s.cluster;
    // An empty cluster has no mean; its centroid is the honest stand-in.
    const mean =
      sizes[c]! > 0
        ? { recency: means[c * 3]!, frequency: means[c * 3 + 1]!, monetary: means[c * 3 + 2]! }
        : centroids[c]!;
    const med = sizes[c]! > 0 ? medians[c]! : centroids[c]!;
    return { ...s, centroid: centroids[c]!, mean, median: med, size: sizes[c]! };
  });
  return { quintiles: { recency: [...q.recency], frequency: [...q.frequency], monetary: [...q.monetary] }, segments };
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

import { adjustedRandIndex, nearestCentre, Predictor, type ArtifactV1 } from '@rfm/shared';
import type { TrainingFeatures } from './features-blob.js';

export interface VersionComparison {
  a: { version: number; k: number; metrics: ArtifactV1['metrics']; segments: string[]; customers: number };
  b: { version: number; k: number; metrics: ArtifactV1['metrics']; segments: string[]; customers: number };
  /** each centroid of b matched to the nearest centroid of a, with the distance in standardized units */
  centroid_shift: { b_cluster: number; b_segment: string; a_cluster: number; a_segment: string; distance: number }[];
  /** on the newer version's training customers (null when they were not stored) */
  assignments: null | {
    customers: number;
    ari: number;
    changed_segment: number;
    changed_share: number;
    /** how many customers go from segment (under a) to segment (under b) */
    transitions: { from: string; to: string; customers: number }[];
  };
}

/**
 * Compare two versions. Centroids are compared in a's standardized space (b's centroids mapped to
 * original units then re-standardized with a's scaler), so different scalers do not fake a shift.
 */
export function compareVersions(
  a: { version: number; artifact: ArtifactV1 },
  b: { version: number; artifact: ArtifactV1 },
  newerCustomers: TrainingFeatures | null,
): VersionComparison {
  const pa = new Predictor(a.artifact);
  const nameA = (c: number) => a.artifact.segments.find((s) => s.cluster === c)!.name;
  const nameB = (c: number) => b.artifact.segments.find((s) => s.cluster === c)!.name;
  const centresA = a.artifact.centroids.flat();
  const shift = b.artifact.segments.map((s) => {
    const zb = pa.standardize(s.centroid.recency, s.centroid.frequency, s.centroid.monetary);
    const best = nearestCentre(centresA, a.artifact.k, 3, zb);
    const ca = a.artifact.centroids[best]!;
    const distance = Math.hypot(zb[0] - ca[0]!, zb[1] - ca[1]!, zb[2] - ca[2]!);
    return { b_cluster: s.cluster, b_segment: s.name, a_cluster: best, a_segment: nameA(best), distance };
  });
  const side = (v: { version: number; artifact: ArtifactV1 }) => ({
    version: v.version,
    k: v.artifact.k,
    metrics: v.artifact.metrics,
    segments: [...v.artifact.segments].sort((x, y) => x.cluster - y.cluster).map((s) => s.name),
    customers: v.artifact.data.customers,
  });
  let assignments: VersionComparison['assignments'] = null;
  if (newerCustomers && newerCustomers.cids.length > 0) {
    const pb = new Predictor(b.artifact);
    const n = newerCustomers.cids.length;
    const la = new Int32Array(n);
    const lb = new Int32Array(n);
    const raw = newerCustomers.raw;
    const moves = new Map<string, number>();
    let changed = 0;
    for (let i = 0; i < n; i++) {
      la[i] = pa.predict(raw[3 * i]!, raw[3 * i + 1]!, raw[3 * i + 2]!);
      lb[i] = pb.predict(raw[3 * i]!, raw[3 * i + 1]!, raw[3 * i + 2]!);
      const from = nameA(la[i]!);
      const to = nameB(lb[i]!);
      if (from !== to) changed++;
      const key = `${from}\u0000${to}`;
      moves.set(key, (moves.get(key) ?? 0) + 1);
    }
    assignments = {
      customers: n,
      ari: adjustedRandIndex(la, lb),
      changed_segment: changed,
      changed_share: changed / n,
      transitions: [...moves.entries()]
        .map(([k, customers]) => {
          const [from, to] = k.split('\u0000') as [string, string];
          return { from, to, customers };
        })
        .sort((x, y) => y.customers - x.customers),
    };
  }
  return { a: side(a), b: side(b), centroid_shift: shift, assignments };
}

import { nearestCentre } from './predict.js';
import { DIM } from './preprocess.js';
import { percentileSorted } from './stats.js';

/** Which percentile of the training customers' distances marks an outlier (stored in the artifact). */
export const OUTLIER_PERCENTILE = 99;

/** Euclidean distance of the standardized point at `z[offset…]` to centre `c` (row-major `centres`). */
export function distanceToCentre(centres: ArrayLike<number>, c: number, z: ArrayLike<number>, offset = 0): number {
  let d = 0;
  for (let j = 0; j < DIM; j++) {
    const t = z[offset + j]! - centres[c * DIM + j]!;
    d += t * t;
  }
  return Math.sqrt(d);
}

/**
 * Per cluster, the `pct` percentile of the distances of the customers assigned to it (by the
 * scoring rule: nearest centre), in the standardized space. A customer scored later is an
 * outlier when further from its centre than that. Null for a cluster no training customer is
 * nearest to (nobody there to compare with: never flagged). Pure.
 */
export function outlierThresholds(
  z: Float64Array,
  centres: ArrayLike<number>,
  k: number,
  pct = OUTLIER_PERCENTILE,
): (number | null)[] {
  const n = z.length / DIM;
  const byCluster: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < n; i++) {
    const c = nearestCentre(centres, k, DIM, z, i * DIM);
    byCluster[c]!.push(distanceToCentre(centres, c, z, i * DIM));
  }
  return byCluster.map((d) => (d.length ? percentileSorted(Float64Array.from(d).sort(), pct) : null));
}

/**
 * The outlier rule, one copy for scoring runs and predictions: a customer at distance `d` from the
 * centre of `cluster` is an outlier when further than that cluster's threshold; never in a
 * cluster without one (no training customer there); unknown (null) when the version stored no
 * thresholds (trained before them).
 */
export function outlierFlag(
  limits: readonly (number | null)[] | undefined,
  cluster: number,
  d: number,
): boolean | null {
  if (limits === undefined) return null;
  const limit = limits[cluster];
  return limit !== null && limit !== undefined && d > limit;
}

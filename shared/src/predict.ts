import type { ArtifactV1 } from './schemas.js';
import { distanceToCentre, outlierFlag } from './outliers.js';
import { DIM, transformInto, type Scaler } from './preprocess.js';

/** A customer's cluster and outlier flag (Predictor.outlier: what the flag means). */
export interface Classified {
  cluster: number;
  outlier: boolean | null;
}

/**
 * Nearest-centroid assignment in plain arithmetic on typed arrays: no tensors and no allocation
 * per call, so a prediction costs well under a microsecond and the server's limit stays HTTP.
 */
export class Predictor {
  readonly k: number;
  private readonly centroids: Float64Array;
  private readonly scaler: Scaler;
  private readonly scratch = new Float64Array(DIM);
  private readonly limits: readonly (number | null)[] | undefined;

  constructor(artifact: Pick<ArtifactV1, 'k' | 'centroids' | 'preprocessing' | 'outliers'>) {
    this.k = artifact.k;
    this.centroids = Float64Array.from(artifact.centroids.flat());
    this.scaler = { mean: artifact.preprocessing.mean, scale: artifact.preprocessing.scale };
    this.limits = artifact.outliers?.distance;
  }

  /** Cluster index of one customer given raw recency (days), frequency, monetary. */
  predict(recency: number, frequency: number, monetary: number): number {
    const z = this.scratch;
    transformInto(this.scaler, recency, frequency, monetary, z, 0);
    return nearestCentre(this.centroids, this.k, DIM, z);
  }

  /**
   * Cluster and outlier flag of one customer in one pass (one transform, the distance to the
   * chosen centre only), written into `into` and returned: scoring reuses one object per run.
   */
  classify(
    recency: number,
    frequency: number,
    monetary: number,
    into: Classified = { cluster: 0, outlier: null },
  ): Classified {
    const z = this.scratch;
    transformInto(this.scaler, recency, frequency, monetary, z, 0);
    const cluster = nearestCentre(this.centroids, this.k, DIM, z);
    into.cluster = cluster;
    into.outlier =
      this.limits === undefined
        ? null
        : outlierFlag(this.limits, cluster, distanceToCentre(this.centroids, cluster, z));
    return into;
  }

  /**
   * Whether a customer assigned to `cluster` lies further from its centre than the version's
   * training customers of that cluster mostly do (outliers.ts: the rule scoring runs use too); null
   * when the version stored no thresholds. A name describes the customers near its centre: an
   * outlier's numbers may not fit it (one £77,000 order 325 days ago is nearest the big spenders).
   */
  outlier(recency: number, frequency: number, monetary: number, cluster: number): boolean | null {
    if (this.limits === undefined) return null;
    const z = this.scratch;
    transformInto(this.scaler, recency, frequency, monetary, z, 0);
    return outlierFlag(this.limits, cluster, distanceToCentre(this.centroids, cluster, z));
  }

  /** Standardized coordinates of one customer (for explanations and charts). */
  standardize(recency: number, frequency: number, monetary: number): [number, number, number] {
    const z = new Float64Array(DIM);
    transformInto(this.scaler, recency, frequency, monetary, z, 0);
    return [z[0]!, z[1]!, z[2]!];
  }
}

/**
 * The assignment rule of the model, the one copy training (labels, inertia) and scoring share:
 * index of the nearest of k centres (row-major, `dim` columns) to the point at `x[offset…offset+dim)`
 * by squared Euclidean distance; ties go to the lowest index.
 */
export function nearestCentre(
  centres: ArrayLike<number>,
  k: number,
  dim: number,
  x: ArrayLike<number>,
  offset = 0,
): number {
  let best = 0;
  let bestD = Infinity;
  for (let c = 0, o = 0; c < k; c++, o += dim) {
    let d = 0;
    for (let j = 0; j < dim; j++) {
      const t = x[offset + j]! - centres[o + j]!;
      d += t * t;
    }
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

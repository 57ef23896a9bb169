import type { ArtifactV1 } from './schemas.js';
import { DIM, transformInto, type Scaler } from './preprocess.js';

/**
 * Nearest-centroid assignment in plain arithmetic on typed arrays: no tensors and no allocation
 * per call, so a prediction costs well under a microsecond and the server's limit stays HTTP.
 */
export class Predictor {
  readonly k: number;
  private readonly centroids: Float64Array;
  private readonly scaler: Scaler;
  private readonly scratch = new Float64Array(DIM);

  constructor(artifact: Pick<ArtifactV1, 'k' | 'centroids' | 'preprocessing'>) {
    this.k = artifact.k;
    this.centroids = Float64Array.from(artifact.centroids.flat());
    this.scaler = { mean: artifact.preprocessing.mean, scale: artifact.preprocessing.scale };
  }

  /** Cluster index of one customer given raw recency (days), frequency, monetary. */
  predict(recency: number, frequency: number, monetary: number): number {
    const z = this.scratch;
    transformInto(this.scaler, recency, frequency, monetary, z, 0);
    return nearest(this.centroids, this.k, z[0]!, z[1]!, z[2]!);
  }

  /** Standardized coordinates of one customer (for explanations and charts). */
  standardize(recency: number, frequency: number, monetary: number): [number, number, number] {
    const z = new Float64Array(DIM);
    transformInto(this.scaler, recency, frequency, monetary, z, 0);
    return [z[0]!, z[1]!, z[2]!];
  }
}

/** Index of the nearest of k centroids (row-major, 3 columns); ties go to the lowest index. */
export function nearest(centroids: Float64Array, k: number, x: number, y: number, z: number): number {
  let best = 0;
  let bestD = Infinity;
  for (let c = 0, o = 0; c < k; c++, o += DIM) {
    const dx = x - centroids[o]!;
    const dy = y - centroids[o + 1]!;
    const dz = z - centroids[o + 2]!;
    const d = dx * dx + dy * dy + dz * dz;
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

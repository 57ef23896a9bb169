import type { SweepPoint } from '@rfm/shared';
import { calinskiHarabasz, daviesBouldin, silhouette } from '../metrics/metrics.js';
import type { Tf } from './backend.js';
import { chooseK, type KChoice } from './choose-k.js';
import { kmeans, type KMeansOptions, type KMeansResult } from './kmeans.js';
import { mulberry32, sampleIndices } from './prng.js';

/**
 * Above this many customers the restarts run on a sample (see fitKMeans). Up to here every restart
 * is a full Lloyd run, exactly as scikit-learn's KMeans(n_init=…).
 */
export const SAMPLED_RESTARTS_ABOVE = 120_000;
/** Customers the restarts see on large data. */
export const RESTART_SAMPLE = 60_000;

export type Algorithm = 'lloyd' | 'lloyd-sampled-restarts';

export interface FitResult extends KMeansResult {
  algorithm: Algorithm;
  /** customers the restarts ran on ('lloyd-sampled-restarts' only) */
  restartSample?: number;
}

export interface FitOptions extends KMeansOptions {
  sampleAbove?: number;
  sampleSize?: number;
}

function gather(x: Float64Array, dim: number, idx: Int32Array): Float64Array {
  const out = new Float64Array(idx.length * dim);
  for (let i = 0; i < idx.length; i++) out.set(x.subarray(idx[i]! * dim, idx[i]! * dim + dim), i * dim);
  return out;
}

/**
 * k-means on any size of data. Up to `sampleAbove` rows: `nInit` full Lloyd restarts (kmeans).
 * Above: "sampled restarts" — the nInit k-means++ + Lloyd restarts run on a seeded sample of
 * `sampleSize` rows, and the best sample solution's centres start one full Lloyd run on all rows,
 * iterated to the same tolerance. Why not mini-batch k-means: its centres keep moving with the
 * batch noise and its inertia ends measurably above Lloyd's (scikit-learn documents this), while
 * restarts only exist to pick a good basin, which a 60k sample shows as well as the full data;
 * the final full run then converges exactly as Lloyd does. Cost ≈ 10 restarts × 60k + one full
 * run, instead of 10 full runs.
 */
export function fitKMeans(tf: Tf, x: Float64Array, dim: number, opts: FitOptions): FitResult {
  const n = x.length / dim;
  const above = opts.sampleAbove ?? SAMPLED_RESTARTS_ABOVE;
  const size = opts.sampleSize ?? RESTART_SAMPLE;
  if (n <= above || opts.init || size >= n) return { ...kmeans(tf, x, dim, opts), algorithm: 'lloyd' };
  // The sample's own stream (not the restarts'), so the restarts' seeds are the same as without sampling.
  const idx = sampleIndices(n, size, mulberry32((opts.seed ^ 0x9e3779b9) >>> 0)).sort();
  const onSample = kmeans(tf, gather(x, dim, idx), dim, opts);
  const full = kmeans(tf, x, dim, { ...opts, init: onSample.centers, onRun: undefined });
  return {
    ...full,
    runInertias: onSample.runInertias,
    bestRun: onSample.bestRun,
    algorithm: 'lloyd-sampled-restarts',
    restartSample: idx.length,
  };
}

export interface SweepOptions extends Omit<FitOptions, 'k'> {
  kMin: number;
  kMax: number;
  /** smallest segment share a k must give to be eligible (default 2 %) */
  minShare?: number;
  onK?: (point: SweepPoint, iterations: number) => void;
}

export interface SweepResult {
  points: SweepPoint[];
  k: number;
  fit: FitResult;
  choice: KChoice;
  /** rows the silhouette of every k was computed on (the same seeded sample for each k) */
  silhouetteSample: number;
}

/** Σ squared distance of the rows to their mean: the inertia of k = 1, the start of the elbow curve. */
export function totalSumOfSquares(x: Float64Array, dim: number): number {
  const n = x.length / dim;
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j]! += x[i * dim + j]! / n;
  let s = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < dim; j++) {
      const t = x[i * dim + j]! - mean[j]!;
      s += t * t;
    }
  return s;
}

/**
 * Fit k = kMin…kMax and choose k by the knee of the inertia curve, the silhouette and the smallest
 * segment's share (chooseK; the rule and its reasons are in choose-k.ts). Silhouettes are exact up
 * to 10,000 rows, a seeded sample above — the same sample for every k. kMax is capped at n − 1.
 */
export function sweepK(tf: Tf, x: Float64Array, dim: number, opts: SweepOptions): SweepResult {
  const n = x.length / dim;
  const kMax = Math.min(opts.kMax, n - 1);
  if (kMax < opts.kMin) throw new RangeError(`choosing k needs at least ${opts.kMin + 1} rows, got ${n}`);
  const points: SweepPoint[] = [];
  const fits = new Map<number, FitResult>();
  let sample = 0;
  for (let k = opts.kMin; k <= kMax; k++) {
    const fit = fitKMeans(tf, x, dim, { ...opts, k });
    fits.set(k, fit);
    const sil = silhouette(x, dim, fit.labels, k, { seed: opts.seed });
    sample = sil.sample;
    const sizes = new Array<number>(k).fill(0);
    for (const l of fit.labels) sizes[l]!++;
    const point: SweepPoint = {
      k,
      inertia: fit.inertia,
      silhouette: sil.value,
      davies_bouldin: daviesBouldin(x, dim, fit.labels, k),
      calinski_harabasz: calinskiHarabasz(x, dim, fit.labels, k),
      smallest_share: Math.min(...sizes) / n,
    };
    points.push(point);
    opts.onK?.(point, fit.iterations);
  }
  const choice = chooseK(
    points.map((p) => ({ k: p.k, inertia: p.inertia, silhouette: p.silhouette, smallestShare: p.smallest_share! })),
    totalSumOfSquares(x, dim),
    { minShare: opts.minShare },
  );
  return { points, k: choice.k, fit: fits.get(choice.k)!, choice, silhouetteSample: sample };
}

import type { Tf } from './backend.js';
import { kmeansPlusPlus } from './init.js';
import { lloydRuns } from './lloyd.js';
import { mulberry32, nextSeed } from './prng.js';

export interface KMeansOptions {
  k: number;
  seed: number;
  nInit: number;
  maxIter: number;
  /** relative tolerance, scaled by the mean per-feature variance of the data (as sklearn) */
  tol: number;
  onRun?: (run: number, inertia: number, iterations: number) => void;
  /** start from these centres (k rows of `dim`) instead of k-means++: one run, nInit ignored */
  init?: Float64Array;
}

export interface KMeansResult {
  /** k rows of `dim`, row-major, in the space of the input data */
  centers: Float64Array;
  labels: Int32Array;
  inertia: number;
  iterations: number;
  converged: boolean;
  /** inertia of every restart, in order; the best one was kept */
  runInertias: number[];
  bestRun: number;
}

export const KMEANS_DEFAULTS = { k: 4, seed: 42, nInit: 10, maxIter: 300, tol: 1e-4 } as const;

/** Mean over features of the population variance (sklearn's `_tolerance` scale). */
export function meanVariance(x: Float64Array, dim: number): number {
  const n = x.length / dim;
  let total = 0;
  for (let j = 0; j < dim; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i * dim + j]!;
    const m = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[i * dim + j]! - m) ** 2;
    total += v / n;
  }
  return total / dim;
}

/**
 * k-means with scikit-learn's semantics: greedy k-means++ seeding, `nInit` restarts keeping the
 * lowest inertia (ties keep the earlier run), Lloyd iterations to `maxIter` or tolerance. All
 * randomness comes from one mulberry32 stream seeded by `seed`, so a seed reproduces the result.
 * The restarts run side by side (see lloydRuns); each is still an independent k-means run.
 */
export function kmeans(tf: Tf, x: Float64Array, dim: number, opts: KMeansOptions): KMeansResult {
  const n = x.length / dim;
  if (!Number.isInteger(n) || n < opts.k)
    throw new RangeError(`k-means with k=${opts.k} needs at least ${opts.k} rows, got ${n}`);
  const tolAbs = opts.tol * meanVariance(x, dim);
  const master = mulberry32(opts.seed);
  // Seeds are drawn in run order, so run r starts from the same centres however runs are batched.
  const inits = opts.init
    ? [Float64Array.from(opts.init)]
    : Array.from({ length: opts.nInit }, () => kmeansPlusPlus(x, n, dim, opts.k, mulberry32(nextSeed(master))));
  const results = lloydRuns(tf, x, dim, inits, opts.k, opts.maxIter, tolAbs);
  let best = 0;
  results.forEach((r, run) => {
    opts.onRun?.(run, r.inertia, r.iterations);
    if (r.inertia < results[best]!.inertia) best = run; // ties keep the earlier run
  });
  const b = results[best]!;
  return {
    centers: b.centers,
    labels: b.labels,
    inertia: b.inertia,
    iterations: b.iterations,
    converged: b.converged,
    runInertias: results.map((r) => r.inertia),
    bestRun: best,
  };
}

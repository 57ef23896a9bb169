import type { Rng } from './prng.js';

/** Squared Euclidean distance between row i of `x` and row j of `c` (both row-major, `dim` columns). */
export function sqDist(x: Float64Array, i: number, c: Float64Array, j: number, dim: number): number {
  let s = 0;
  for (let d = 0, a = i * dim, b = j * dim; d < dim; d++) {
    const t = x[a + d]! - c[b + d]!;
    s += t * t;
  }
  return s;
}

/** First index whose cumulative sum exceeds `target` (numpy searchsorted, side='left'), clipped to n-1. */
function searchCumsum(cum: Float64Array, target: number): number {
  let lo = 0;
  let hi = cum.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cum[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(lo, cum.length - 1);
}

/**
 * Every row's squared distance to its nearest centre once row `id` is a centre too, into `cand`,
 * and their total. Most of k-means++'s time: RFM's three columns get an unrolled loop (a fit's
 * first k-means++, still unoptimised code, took 2× as long through sqDist).
 */
function candidatePotential(
  x: Float64Array,
  n: number,
  dim: number,
  id: number,
  closest: Float64Array,
  cand: Float64Array,
): number {
  let pot = 0;
  if (dim === 3) {
    const a = x[id * 3]!,
      b = x[id * 3 + 1]!,
      c = x[id * 3 + 2]!;
    for (let i = 0, o = 0; i < n; i++, o += 3) {
      const u = x[o]! - a,
        v = x[o + 1]! - b,
        w = x[o + 2]! - c;
      const d = u * u + v * v + w * w;
      const m = d < closest[i]! ? d : closest[i]!;
      cand[i] = m;
      pot += m;
    }
    return pot;
  }
  for (let i = 0; i < n; i++) {
    const d = sqDist(x, i, x, id, dim);
    const m = d < closest[i]! ? d : closest[i]!;
    cand[i] = m;
    pot += m;
  }
  return pot;
}

/**
 * Greedy k-means++ (scikit-learn's `_kmeans_plusplus`): the first centre is a uniform pick; each
 * next one is the best of 2 + ⌊ln k⌋ candidates drawn with probability ∝ D², "best" meaning the
 * lowest total D² after adding it. Plain float64 JS: O(n·k·trials), identical on every backend.
 * Returns k centres, row-major.
 */
export function kmeansPlusPlus(x: Float64Array, n: number, dim: number, k: number, rng: Rng): Float64Array {
  if (k > n) throw new RangeError(`k-means++ needs at least k=${k} points, got ${n}`);
  const centers = new Float64Array(k * dim);
  const trials = 2 + Math.floor(Math.log(k));
  const first = Math.floor(rng() * n);
  centers.set(x.subarray(first * dim, first * dim + dim), 0);
  const closest = new Float64Array(n);
  let pot = 0;
  for (let i = 0; i < n; i++) pot += closest[i] = sqDist(x, i, centers, 0, dim);
  const cum = new Float64Array(n);
  const cand = new Float64Array(n);
  const best = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let acc = 0;
    for (let i = 0; i < n; i++) cum[i] = acc += closest[i]!;
    let bestPot = Infinity;
    let bestId = -1;
    for (let t = 0; t < trials; t++) {
      // All points coincide with chosen centres (pot 0): any point will do; take a uniform one.
      const id = pot > 0 ? searchCumsum(cum, rng() * pot) : Math.floor(rng() * n);
      const candPot = candidatePotential(x, n, dim, id, closest, cand);
      if (candPot < bestPot) {
        bestPot = candPot;
        bestId = id;
        best.set(cand);
      }
    }
    centers.set(x.subarray(bestId * dim, bestId * dim + dim), c * dim);
    closest.set(best);
    pot = bestPot;
  }
  return centers;
}

import type { Tensor2D } from '@tensorflow/tfjs-core';
import type { Tf } from './backend.js';
import { assignLabels, inertia as inertiaOf } from '../metrics/metrics.js';

export interface LloydResult {
  centers: Float64Array;
  labels: Int32Array;
  inertia: number;
  /** Lloyd iterations run (as sklearn's n_iter_) */
  iterations: number;
  converged: boolean;
}

/** Upper bound on n × runs × k elements per distance / one-hot tensor (~64 MB of float32). */
const BATCH_ELEMENTS = 16_000_000;

/**
 * Several k-means runs from given initial centres, each with scikit-learn's Lloyd loop: assign
 * every point to its nearest centre, move each centre to the mean of its points, stop when no
 * label changes or the total squared centre shift is ≤ tolAbs, or after maxIter.
 *
 * The runs are independent but advance together: one distance matmul covers the centres of all
 * still-running restarts, so the per-op cost of a small data set is paid once per iteration
 * rather than once per restart. The O(n·k) work (distances, argmin, per-cluster sums) runs in
 * tensors; per-cluster sums use a one-hot matmul because the wasm backend has no
 * UnsortedSegmentSum kernel. Bookkeeping is float64 JS.
 *
 * `xt` is the data as a float32 tensor [n, dim]; `x` the same data in float64, used for the final
 * assignment and inertia so reported figures do not depend on the backend's float32 rounding.
 */
export function lloydRuns(
  tf: Tf,
  xt: Tensor2D,
  x: Float64Array,
  dim: number,
  inits: Float64Array[],
  k: number,
  maxIter: number,
  tolAbs: number,
): LloydResult[] {
  const n = x.length / dim;
  const perGroup = Math.max(1, Math.floor(BATCH_ELEMENTS / (n * k)));
  const out: LloydResult[] = [];
  const xx = tf.tidy(() => tf.sum(tf.square(xt), 1, true)) as Tensor2D;
  const data: GroupData = { tf, xt, xx, x, dim, k, maxIter, tolAbs };
  try {
    for (let g = 0; g < inits.length; g += perGroup)
      for (const r of runGroup(data, inits.slice(g, g + perGroup))) out.push(r);
  } finally {
    xx.dispose();
  }
  return out;
}

interface RunState {
  centers: Float64Array;
  prev: Int32Array | undefined;
  iterations: number;
  converged: boolean;
  done: boolean;
}

/** What every group of runs shares: the data (with ‖x‖² per row, `xx`) and the loop's settings. */
interface GroupData {
  tf: Tf;
  xt: Tensor2D;
  xx: Tensor2D;
  x: Float64Array;
  dim: number;
  k: number;
  maxIter: number;
  tolAbs: number;
}

function runGroup(data: GroupData, inits: Float64Array[]): LloydResult[] {
  const { tf, xt, xx, x, dim, k, maxIter, tolAbs } = data;
  const n = x.length / dim;
  const runs: RunState[] = inits.map((c) => ({
    centers: Float64Array.from(c),
    prev: undefined,
    iterations: 0,
    converged: false,
    done: false,
  }));
  for (let it = 0; it < maxIter; it++) {
    const active = runs.filter((r) => !r.done);
    if (active.length === 0) break;
    const ra = active.length;
    const all = new Float32Array(ra * k * dim);
    for (const [i, r] of active.entries()) all.set(r.centers, i * k * dim);
    const labT = tf.tidy(() => {
      const c = tf.tensor2d(all, [ra * k, dim], 'float32');
      // ‖x−c‖² = ‖x‖² − 2·x·c + ‖c‖², for every centre of every active run: [n, ra·k]
      const d = tf.add(
        tf.sub(xx, tf.mul(tf.matMul(xt, c, false, true), 2)),
        tf.reshape(tf.sum(tf.square(c), 1), [1, ra * k]),
      );
      return tf.argMin(tf.reshape(d, [n, ra, k]), 2); // [n, ra]
    });
    const labAll = labT.dataSync() as Int32Array;
    labT.dispose();
    // The labels come back to JS for the convergence test anyway; the per-cluster sums are then one
    // float64 pass over the rows (a one-hot matmul in tensors cost more than the distances did).
    const labels = active.map(() => new Int32Array(n));
    const sums = new Float64Array(ra * k * dim);
    const counts = new Float64Array(ra * k);
    for (let p = 0, q = 0; p < n; p++)
      for (let i = 0; i < ra; i++, q++) {
        const l = labAll[q]!;
        labels[i]![p] = l;
        const c = i * k + l;
        counts[c]!++;
        for (let j = 0; j < dim; j++) sums[c * dim + j]! += x[p * dim + j]!;
      }
    active.forEach((r, i) => {
      const own = sums.subarray(i * k * dim, (i + 1) * k * dim);
      step(r, x, dim, labels[i]!, own, counts.subarray(i * k, (i + 1) * k), k, tolAbs);
      r.iterations = it + 1;
    });
  }
  // Final E-step in float64 against the final centres (sklearn does the same when it stopped on tol).
  return runs.map((r) => {
    const labels = assignLabels(x, dim, r.centers, k);
    return {
      centers: r.centers,
      labels,
      inertia: inertiaOf(x, dim, r.centers, labels),
      iterations: r.iterations,
      converged: r.converged,
    };
  });
}

/** One M-step and the convergence tests for one run. */
function step(
  r: RunState,
  x: Float64Array,
  dim: number,
  labels: Int32Array,
  sums: Float64Array,
  counts: Float64Array,
  k: number,
  tolAbs: number,
): void {
  relocateEmpty(x, dim, r.centers, labels, sums, counts, k);
  const next = new Float64Array(k * dim);
  let shift = 0;
  for (let c = 0; c < k; c++)
    for (let j = 0; j < dim; j++) {
      const v = counts[c]! > 0 ? sums[c * dim + j]! / counts[c]! : r.centers[c * dim + j]!;
      next[c * dim + j] = v;
      shift += (v - r.centers[c * dim + j]!) ** 2;
    }
  r.centers = next;
  if ((r.prev && sameLabels(r.prev, labels)) || shift <= tolAbs) {
    r.converged = true;
    r.done = true;
  }
  r.prev = labels;
}

function sameLabels(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * sklearn's empty-cluster rule: each empty cluster takes the point farthest from its current
 * centre (farthest first), and that point's contribution leaves its old cluster's sum.
 */
export function relocateEmpty(
  x: Float64Array,
  dim: number,
  centers: Float64Array,
  labels: Int32Array,
  sums: Float64Array,
  counts: Float64Array,
  k: number,
): number {
  const empty: number[] = [];
  for (let c = 0; c < k; c++) if (counts[c]! === 0) empty.push(c);
  if (empty.length === 0) return 0;
  const n = labels.length;
  const dist = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = labels[i]!;
    let d = 0;
    for (let j = 0; j < dim; j++) d += (x[i * dim + j]! - centers[c * dim + j]!) ** 2;
    dist[i] = d;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => dist[b]! - dist[a]! || a - b);
  empty.forEach((c, e) => {
    const far = order[e]!;
    const old = labels[far]!;
    for (let j = 0; j < dim; j++) {
      sums[old * dim + j]! -= x[far * dim + j]!;
      sums[c * dim + j] = x[far * dim + j]!;
    }
    counts[old]!--;
    counts[c] = 1;
    labels[far] = c;
  });
  return empty.length;
}

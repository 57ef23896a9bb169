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

/** Upper bound on n × runs × k elements of one distance tensor (~64 MB of float32). */
const BATCH_ELEMENTS = 16_000_000;

/**
 * Several k-means runs from given initial centres, each with scikit-learn's Lloyd loop: assign
 * every point to its nearest centre, move each centre to the mean of its points, stop when no
 * label changes or the total squared centre shift is ≤ tolAbs, or after maxIter.
 *
 * The runs are independent but advance together: one distance matmul covers the centres of all
 * still-running restarts, so the per-op cost of a small data set is paid once per iteration
 * rather than once per restart. The assignment (distances and argmin, O(n·k·dim)) runs in
 * tensors; the labels come back to JS for the convergence test, and the per-cluster sums are one
 * float64 pass over them (the wasm backend has no UnsortedSegmentSum kernel, and a one-hot matmul
 * cost more than the distances did).
 *
 * `x` is the data in float64, used for the sums, the final assignment and the inertia, so that
 * reported figures do not depend on the backend's float32 rounding.
 */
export function lloydRuns(
  tf: Tf,
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
  // Each row with a trailing 1, so that one matmul gives ‖c‖² − 2·x·c for every centre (below).
  const aug = new Float32Array(n * (dim + 1));
  for (let p = 0; p < n; p++) {
    for (let j = 0; j < dim; j++) aug[p * (dim + 1) + j] = x[p * dim + j]!;
    aug[p * (dim + 1) + dim] = 1;
  }
  const xa = tf.tensor2d(aug, [n, dim + 1], 'float32');
  const data: GroupData = { tf, xa, x, dim, k, maxIter, tolAbs };
  try {
    for (let g = 0; g < inits.length; g += perGroup)
      for (const r of runGroup(data, inits.slice(g, g + perGroup))) out.push(r);
  } finally {
    xa.dispose();
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

/** What every group of runs shares: the data (`xa`: rows with a trailing 1) and the loop's settings. */
interface GroupData {
  tf: Tf;
  xa: Tensor2D;
  x: Float64Array;
  dim: number;
  k: number;
  maxIter: number;
  tolAbs: number;
}

/**
 * The nearest centre of every row for every active run, as [n, runs] labels. A row's own ‖x‖² is
 * the same for all centres, so the argmin of ‖x−c‖² is that of ‖c‖² − 2·x·c (scikit-learn's Lloyd
 * step compares the same quantity): one matmul of the rows (with a trailing 1) by the centres
 * (−2·c, ‖c‖²), whose last column is computed in float64 here. Leaving out ‖x‖² also spares the
 * float32 sums the cancellation of two large terms.
 */
function assignAll(data: GroupData, active: RunState[]): Int32Array {
  const { tf, xa, dim, k } = data;
  const n = data.x.length / dim;
  const ra = active.length;
  const w = dim + 1;
  // laid out [dim + 1, runs·k]: the wasm matmul takes about half the time untransposed
  const cols = ra * k;
  const cw = new Float32Array(w * cols);
  for (let i = 0; i < ra; i++) {
    const c = active[i]!.centers;
    for (let m = 0; m < k; m++) {
      const col = i * k + m;
      let sq = 0;
      for (let j = 0; j < dim; j++) {
        const v = c[m * dim + j]!;
        cw[j * cols + col] = -2 * v;
        sq += v * v;
      }
      cw[dim * cols + col] = sq;
    }
  }
  const labT = tf.tidy(() =>
    tf.argMin(tf.reshape(tf.matMul(xa, tf.tensor2d(cw, [w, cols], 'float32')), [n, ra, k]), 2),
  );
  try {
    return labT.dataSync() as Int32Array;
  } finally {
    labT.dispose();
  }
}

function runGroup(data: GroupData, inits: Float64Array[]): LloydResult[] {
  const { x, dim, k, maxIter, tolAbs } = data;
  const n = x.length / dim;
  const runs: RunState[] = inits.map((c) => ({
    centers: Float64Array.from(c),
    prev: undefined,
    iterations: 0,
    converged: false,
    done: false,
  }));
  const sums = new Float64Array(k * dim);
  const counts = new Float64Array(k);
  for (let it = 0; it < maxIter; it++) {
    const active = runs.filter((r) => !r.done);
    if (active.length === 0) break;
    const ra = active.length;
    const labAll = assignAll(data, active); // [n, ra]
    for (let i = 0; i < ra; i++) {
      const labels = clusterSums(labAll, i, ra, x, dim, sums, counts);
      const r = active[i]!;
      step(r, x, dim, labels, sums, counts, k, tolAbs);
      r.iterations = it + 1;
    }
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

/**
 * Run i's labels (column i of the [n, runs] `labAll`) and its per-cluster sums and counts, in
 * float64, into `sums` and `counts`. This loop is most of a fit's JS time: RFM's three columns get
 * an unrolled body (measured 2–3× faster than the loop over `dim`).
 */
function clusterSums(
  labAll: Int32Array,
  i: number,
  ra: number,
  x: Float64Array,
  dim: number,
  sums: Float64Array,
  counts: Float64Array,
): Int32Array {
  const n = x.length / dim;
  const labels = new Int32Array(n);
  sums.fill(0);
  counts.fill(0);
  if (dim === 3) {
    for (let p = 0, q = i, xo = 0; p < n; p++, q += ra, xo += 3) {
      const l = labAll[q]!;
      labels[p] = l;
      counts[l]!++;
      const o = l * 3;
      sums[o]! += x[xo]!;
      sums[o + 1]! += x[xo + 1]!;
      sums[o + 2]! += x[xo + 2]!;
    }
    return labels;
  }
  for (let p = 0, q = i; p < n; p++, q += ra) {
    const l = labAll[q]!;
    labels[p] = l;
    counts[l]!++;
    for (let j = 0, o = l * dim, xo = p * dim; j < dim; j++) sums[o + j]! += x[xo + j]!;
  }
  return labels;
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

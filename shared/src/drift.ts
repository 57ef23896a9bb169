import { z } from 'zod';
import { RfmError } from './errors.js';
import { formatShare as pct, percentileSorted } from './stats.js';

/**
 * Drift of a scored population against the customers a version was trained on, and the
 * "retraining advised" signal. Pure: callers supply the columns and the thresholds.
 *
 * Population-stability index of one feature (recency, frequency or monetary):
 *
 *   edges  = the distinct deciles (10 %, 20 %, … 90 %) of the TRAINING values; bins are
 *            (−∞, e1], (e1, e2], …, (e_m, +∞) — a value equal to an edge falls in the lower bin,
 *            and tied deciles collapse into one edge (frequency = 1 for a third of customers gives
 *            one bin holding that third rather than three empty ones)
 *   e_i    = share of training customers in bin i, a_i = share of scored customers in bin i,
 *            each floored at ε = 1e-4 so an empty bin costs a large but finite amount
 *   PSI    = Σ_i (a_i − e_i) · ln(a_i / e_i)
 *
 * Reading (the usual rule of thumb): < 0.1 stable, 0.1–0.25 some shift, ≥ 0.25 a different population.
 */
export const PSI_EPSILON = 1e-4;
export const DRIFT_FEATURES = ['recency', 'frequency', 'monetary'] as const;
export type DriftFeature = (typeof DRIFT_FEATURES)[number];

/** The share of customers the artifact's thresholds flag at training (its 99th percentile). */
export const EXPECTED_OUTLIER_RATE = 0.01;

/** The distinct training deciles: the inner bin edges. */
export function decileEdges(training: ArrayLike<number>): number[] {
  const sorted = Float64Array.from(training).sort();
  if (sorted.length === 0) return [];
  const edges: number[] = [];
  for (let p = 10; p <= 90; p += 10) {
    const e = percentileSorted(sorted, p);
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
  }
  return edges;
}

/** Share of `values` in each bin of `edges` (value ≤ edge → that bin; beyond the last → the last bin). */
export function binShares(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    // first edge ≥ v (binary search): bins are few, customers many
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid]! >= v) hi = mid;
      else lo = mid + 1;
    }
    counts[lo]!++;
  }
  return counts.map((c) => (n ? c / n : 0));
}

/** PSI of `current` against `training`, bins from the training deciles (formula above). */
export function psi(training: ArrayLike<number>, current: ArrayLike<number>, eps = PSI_EPSILON): number {
  if (training.length === 0 || current.length === 0) return 0;
  const edges = decileEdges(training);
  const e = binShares(training, edges);
  const a = binShares(current, edges);
  let sum = 0;
  for (let i = 0; i < e.length; i++) {
    const ei = Math.max(e[i]!, eps);
    const ai = Math.max(a[i]!, eps);
    sum += (ai - ei) * Math.log(ai / ei);
  }
  return sum;
}

/** Share of customers per cluster (index = cluster), `k` clusters. */
export function clusterShares(clusters: ArrayLike<number>, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < clusters.length; i++) counts[clusters[i]!]!++;
  return counts.map((c) => (clusters.length ? c / clusters.length : 0));
}

/** When a run says "retraining advised". Shares and rates are fractions (0.10 = 10 points). */
const THRESHOLD_FIELDS = {
  /** any one feature's PSI at or above this */
  psi: z.number().positive().max(100),
  /** the share of outliers at or above this (about 1 % is expected: the 99th percentile of training) */
  outlierRate: z.number().positive().max(1),
  /** any segment's customer share moved by at least this (absolute, 0.10 = 10 points) */
  shareShift: z.number().positive().max(1),
};
/** Some thresholds (a model's policy, the environment): what is absent comes from elsewhere. */
export const PartialDriftThresholdsSchema = z.strictObject(THRESHOLD_FIELDS).partial();
export const DriftThresholdsSchema = z.strictObject({
  psi: THRESHOLD_FIELDS.psi.default(0.25),
  outlierRate: THRESHOLD_FIELDS.outlierRate.default(0.03),
  shareShift: THRESHOLD_FIELDS.shareShift.default(0.1),
});
export type DriftThresholds = z.output<typeof DriftThresholdsSchema>;
export const DEFAULT_DRIFT_THRESHOLDS: DriftThresholds = DriftThresholdsSchema.parse({});

/** What a saved run records about its drift (JSON in the registry; `null` on runs saved before this). */
export const RunDriftSchema = z.object({
  /** the population compared with: the version's stored training customers */
  trainingCustomers: z.number().int().nonnegative(),
  psi: z.object({ recency: z.number(), frequency: z.number(), monetary: z.number() }),
  /** null when the version has no outlier thresholds (trained before they were stored) */
  outlierRate: z.number().min(0).max(1).nullable(),
  expectedOutlierRate: z.number().min(0).max(1),
  segments: z.array(
    z.object({
      segment: z.string(),
      key: z.string(),
      cluster: z.number().int().nonnegative(),
      trainingShare: z.number().min(0).max(1),
      share: z.number().min(0).max(1),
    }),
  ),
  thresholds: DriftThresholdsSchema,
  retrainAdvised: z.boolean(),
  /** one sentence per crossed threshold, e.g. "monetary PSI 0.41 ≥ 0.25" */
  reasons: z.array(z.string()),
});
export type RunDrift = z.output<typeof RunDriftSchema>;

export interface DriftInput {
  trainingCustomers: number;
  psi: Record<DriftFeature, number>;
  outlierRate: number | null;
  segments: { segment: string; key: string; cluster: number; trainingShare: number; share: number }[];
}

const pts = (x: number) => `${(x * 100).toFixed(1)} points`;

/** The thresholds applied to measured drift: the verdict and, in words, every reason for it. */
export function assessDrift(m: DriftInput, t: DriftThresholds = DEFAULT_DRIFT_THRESHOLDS): RunDrift {
  const reasons: string[] = [];
  for (const f of DRIFT_FEATURES)
    if (m.psi[f] >= t.psi) reasons.push(`${f} PSI ${m.psi[f].toFixed(2)} ≥ ${t.psi.toFixed(2)}`);
  if (m.outlierRate !== null && m.outlierRate >= t.outlierRate)
    reasons.push(`outlier rate ${pct(m.outlierRate)} ≥ ${pct(t.outlierRate)} (about 1% expected)`);
  for (const s of m.segments) {
    const d = s.share - s.trainingShare;
    if (Math.abs(d) >= t.shareShift)
      reasons.push(
        `${s.segment} share ${pct(s.trainingShare)} → ${pct(s.share)} (${d > 0 ? '+' : '−'}${pts(Math.abs(d))}) ≥ ${pts(t.shareShift)}`,
      );
  }
  return {
    trainingCustomers: m.trainingCustomers,
    psi: { ...m.psi },
    outlierRate: m.outlierRate,
    expectedOutlierRate: EXPECTED_OUTLIER_RATE,
    segments: m.segments.map((s) => ({ ...s })),
    thresholds: { ...t },
    retrainAdvised: reasons.length > 0,
    reasons,
  };
}

/**
 * Thresholds from the environment (`RFM_DRIFT_PSI`, `RFM_DRIFT_OUTLIER_RATE`, `RFM_DRIFT_SHARE_SHIFT`),
 * validated; absent ones are left out so a model's policy or the defaults apply.
 */
export const DRIFT_ENV = {
  psi: 'RFM_DRIFT_PSI',
  outlierRate: 'RFM_DRIFT_OUTLIER_RATE',
  shareShift: 'RFM_DRIFT_SHARE_SHIFT',
} as const;

export function driftThresholdsFromEnv(env: Record<string, string | undefined>): Partial<DriftThresholds> {
  const raw: Record<string, number> = {};
  for (const [k, name] of Object.entries(DRIFT_ENV)) {
    const v = env[name];
    if (v !== undefined && v.trim() !== '') raw[k] = Number(v);
  }
  const r = PartialDriftThresholdsSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const name = DRIFT_ENV[i.path[0] as keyof typeof DRIFT_ENV];
    throw new RfmError('INVALID_INPUT', `${name}: ${i.message} (found ${JSON.stringify(env[name])})`, {
      issues: [{ path: name, message: 'invalid drift threshold', found: String(env[name]) }],
    });
  }
  return r.data;
}

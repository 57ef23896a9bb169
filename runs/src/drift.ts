import type { LoadedModel, PromotionPolicy, Registry, TrainingFeatures } from '@rfm/registry';
import {
  assessDrift,
  clusterShares,
  DriftThresholdsSchema,
  driftThresholdsFromEnv,
  psi,
  type DriftThresholds,
  type RunDrift,
} from '@rfm/shared';
import { scoreTable } from './score-table.js';
import { OUTLIER_UNKNOWN, OUTLIER_YES, type ScoredExport } from './types.js';

/**
 * The thresholds for one model: its registry policy's `drift_*` entries first, then the
 * environment (RFM_DRIFT_PSI, RFM_DRIFT_OUTLIER_RATE, RFM_DRIFT_SHARE_SHIFT), then the defaults.
 */
export function driftThresholds(
  policy: Pick<PromotionPolicy, 'drift_psi' | 'drift_outlier_rate' | 'drift_share_shift'>,
  env: Record<string, string | undefined> = process.env,
): DriftThresholds {
  const fromPolicy = Object.fromEntries(
    Object.entries({
      psi: policy.drift_psi,
      outlierRate: policy.drift_outlier_rate,
      shareShift: policy.drift_share_shift,
    }).filter(([, v]) => v !== undefined),
  );
  return DriftThresholdsSchema.parse({ ...driftThresholdsFromEnv(env), ...fromPolicy });
}

/**
 * How a scored export's customers differ from the version's training customers: each feature's
 * PSI (bins from the training deciles, shared/src/drift.ts), the outlier rate, and every
 * segment's share now vs at training — the training customers assigned by the same scoring rule
 * (nearest centre), so an unchanged population shows no shift. Null when the version has no
 * stored training customers (nothing to compare with). Pure.
 */
export function measureDrift(
  scored: ScoredExport,
  model: Pick<LoadedModel, 'artifact'>,
  training: TrainingFeatures | null,
  thresholds: DriftThresholds,
): RunDrift | null {
  if (!training || training.cids.length === 0) return null;
  const n = training.cids.length;
  const tr = scoreTable({ cids: training.cids, raw: training.raw }, model.artifact);
  const c = scored.customers;
  const k = model.artifact.k;
  const before = clusterShares(tr.cluster, k);
  const now = clusterShares(c.cluster, k);
  let outliers = 0;
  let unknown = false;
  for (let i = 0; i < c.outlier.length; i++) {
    if (c.outlier[i] === OUTLIER_YES) outliers++;
    else if (c.outlier[i] === OUTLIER_UNKNOWN) unknown = true;
  }
  return assessDrift(
    {
      trainingCustomers: n,
      psi: {
        recency: psi(tr.recency, c.recency),
        frequency: psi(tr.frequency, c.frequency),
        monetary: psi(tr.monetary, c.monetary),
      },
      outlierRate: unknown || c.outlier.length === 0 ? null : outliers / c.outlier.length,
      segments: scored.summary.map((s) => ({
        segment: s.segment,
        key: s.key,
        cluster: s.cluster,
        trainingShare: before[s.cluster] ?? 0,
        share: now[s.cluster] ?? 0,
      })),
    },
    thresholds,
  );
}

/** measureDrift with what the registry holds for the run's model and version (its training customers, its policy). */
export async function driftForRun(
  reg: Registry,
  scored: ScoredExport,
  model: LoadedModel,
  env: Record<string, string | undefined> = process.env,
): Promise<RunDrift | null> {
  const thresholds = driftThresholds(await reg.policy(model.modelName), env);
  return measureDrift(scored, model, await reg.features(model.modelName, model.version), thresholds);
}

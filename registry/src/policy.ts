import { z } from 'zod';
import type { Metrics } from '@rfm/shared';

/**
 * Guarded promotion: rules a candidate must pass before it may become production. Pure: the
 * registry supplies the candidate's and current production's metrics, this says what failed.
 */
export const PromotionPolicySchema = z.strictObject({
  min_silhouette: z.number().min(-1).max(1).default(0.2),
  /** how much lower than the current production's silhouette a candidate may be */
  max_silhouette_drop: z.number().min(0).max(2).default(0.05),
  min_customers: z.number().int().min(0).default(100),
  /**
   * When a saved run of this model says "retraining advised" (runs/src/drift.ts); absent ones come
   * from RFM_DRIFT_* or the defaults (PSI 0.25, outlier rate 0.03, share shift 0.10).
   */
  drift_psi: z.number().positive().max(100).optional(),
  drift_outlier_rate: z.number().positive().max(1).optional(),
  drift_share_shift: z.number().positive().max(1).optional(),
});
export type PromotionPolicy = z.output<typeof PromotionPolicySchema>;
export const DEFAULT_POLICY: PromotionPolicy = PromotionPolicySchema.parse({});

export interface RuleResult {
  rule: keyof PromotionPolicy;
  passed: boolean;
  message: string;
}

export function evaluatePolicy(
  policy: PromotionPolicy,
  candidate: { version: number; metrics: Metrics; customers: number },
  production: { version: number; metrics: Metrics } | null,
): RuleResult[] {
  const sil = candidate.metrics.silhouette;
  const f = (x: number) => x.toFixed(4);
  const results: RuleResult[] = [
    {
      rule: 'min_silhouette',
      passed: sil !== null && sil >= policy.min_silhouette,
      message: `silhouette ${sil === null ? 'n/a' : f(sil)} ${sil !== null && sil >= policy.min_silhouette ? '≥' : '<'} minimum ${f(policy.min_silhouette)}`,
    },
    {
      rule: 'min_customers',
      passed: candidate.customers >= policy.min_customers,
      message: `${candidate.customers} training customers ${candidate.customers >= policy.min_customers ? '≥' : '<'} minimum ${policy.min_customers}`,
    },
  ];
  const prodSil = production?.metrics.silhouette ?? null;
  if (production && prodSil !== null && production.version !== candidate.version) {
    const floor = prodSil - policy.max_silhouette_drop;
    const ok = sil !== null && sil >= floor;
    results.push({
      rule: 'max_silhouette_drop',
      passed: ok,
      message:
        `silhouette ${sil === null ? 'n/a' : f(sil)} vs production v${production.version} ${f(prodSil)}:` +
        ` ${ok ? 'within' : 'worse than'} the allowed drop of ${f(policy.max_silhouette_drop)} (floor ${f(floor)})`,
    });
  }
  return results;
}

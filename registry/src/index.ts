export { Registry, PRODUCTION } from './registry.js';
export { SCHEMA_VERSION } from './migrations.js';
export type * from './types.js';
export {
  DEFAULT_POLICY,
  evaluatePolicy,
  PromotionPolicySchema,
  type PromotionPolicy,
  type RuleResult,
} from './policy.js';
export type { TrainingFeatures } from './features-blob.js';
export { compareVersions, type VersionComparison } from './compare.js';

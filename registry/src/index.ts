export { Registry, PRODUCTION, type OpenOptions } from './registry.js';
export { SCHEMA_VERSION } from './store/schema-version.js';
export { parseLocation, redactUrl, type RegistryLocation } from './location.js';
export type * from './types.js';
export type { SkippedTarget } from './rollback.js';
export {
  DEFAULT_POLICY,
  evaluatePolicy,
  PromotionPolicySchema,
  type PromotionPolicy,
  type RuleResult,
} from './policy.js';
export type { TrainingFeatures } from './features-blob.js';
export { compareVersions, type VersionComparison } from './compare.js';
export { pendingExport } from './transfer.js';
export { copyRegistry, type CopyReport } from './copy.js';
export { newRunId, type NewRun, type RunRecord } from './runs.js';
export {
  ERASE_ACTION,
  type ErasureResult,
  type RewrittenRun,
  type RunRewriter,
  type RunToRewrite,
} from './erasure.js';
export { JOBS_DEFAULT_DAYS, type RunsGcOptions, type RunsGcResult } from './retention.js';
export { versionSummary } from './summary.js';
export {
  FINAL_STATES,
  RUN_STATES,
  RunJobSchema,
  type NewRunJob,
  type RunJob,
  type RunJobChange,
  type RunState,
} from './run-jobs.js';
export { checkWebhookUrl, urlOrigin, WebhookUrlSchema } from './webhooks.js';

/** @rfm/training public surface (what the CLI, the benchmarks and the cross-package tests use), by name. */
export {
  train,
  type TrainInput,
  type TrainOptions,
  type TrainResult,
  type TrainPhase,
  type TrainEvent,
} from './train.js';
// the export reader lives in @rfm/ingest; re-exported so `rfm train`/`rfm features` callers need one import
export {
  computeFeatures,
  type FeaturesResult,
  readExport,
  type ImportOptions,
  DROP_REASONS_QP,
  DROP_REASONS_AMOUNT,
  readFeatures,
  parseColumnMapping,
  ROLES,
  KNOWN_NAMES,
  type ColumnMapping,
  type Role,
  DATE_FORMATS,
  type RfmTable,
} from '@rfm/ingest';
export { selectBackend, type BackendPreference } from './kmeans/backend.js';
export { kmeans } from './kmeans/kmeans.js';
export { silhouette } from './metrics/metrics.js';
export { exportReadOptions, FitOptionsSchema } from './options.js';
export { promoteThroughPolicy, checkPromoteOptions, type PromotionOutcome } from './promote.js';

/** @rfm/training public surface: the train pipeline, the features export, and their building blocks. */
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
export { kmeans, KMEANS_DEFAULTS, type KMeansOptions, type KMeansResult } from './kmeans/kmeans.js';
export { silhouette, inertia, daviesBouldin, calinskiHarabasz, clusterSizes } from './metrics/metrics.js';
export { FitOptionsSchema, IsoDay, parseFitOptions, type FitOptions } from './options.js';
export { CODE_VERSION } from './version.js';
export { promoteThroughPolicy, checkPromoteOptions, type PromotionOutcome } from './promote.js';

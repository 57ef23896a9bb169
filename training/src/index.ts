/** @rfm/training public surface: the train pipeline, the features export, and their building blocks. */
export {
  train,
  type TrainInput,
  type TrainOptions,
  type TrainResult,
  type TrainPhase,
  type TrainEvent,
} from './train.js';
export { computeFeatures, type FeaturesResult } from './features.js';
export { readExport, type ImportOptions, DROP_REASONS_QP, DROP_REASONS_AMOUNT } from './import/export-reader.js';
export { readFeatures } from './import/features-reader.js';
export { parseColumnMapping, ROLES, KNOWN_NAMES, type ColumnMapping, type Role } from './import/columns.js';
export { DATE_FORMATS } from './import/dates.js';
export { selectBackend, type BackendPreference } from './kmeans/backend.js';
export { kmeans, KMEANS_DEFAULTS, type KMeansOptions, type KMeansResult } from './kmeans/kmeans.js';
export { silhouette, inertia, daviesBouldin, calinskiHarabasz, clusterSizes } from './metrics/metrics.js';
export { FitOptionsSchema, IsoDay, parseFitOptions, type FitOptions } from './options.js';
export type { RfmTable } from './rfm-table.js';
export { CODE_VERSION } from './version.js';
export { promoteThroughPolicy, checkPromoteOptions, type PromotionOutcome } from './promote.js';

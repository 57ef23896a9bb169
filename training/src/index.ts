/** @rfm/training public surface (what the CLI, the benchmarks and the cross-package tests use), by name. */
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
export { kmeans } from './kmeans/kmeans.js';
export { silhouette } from './metrics/metrics.js';
export { FitOptionsSchema } from './options.js';
export type { RfmTable } from './rfm-table.js';

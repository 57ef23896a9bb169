/**
 * @rfm/shared public surface: what the other packages use, by name. Everything else in src/ is
 * internal to this package (test helpers are at `@rfm/shared/testing`).
 */
export {
  ERROR_CODES,
  formatError,
  type Issue,
  isRfmError,
  RfmError,
  type RfmErrorCode,
  toRfmError,
} from './errors.js';
export { customerFromFields, parseOrThrow, parsePredictRequest, zodIssues } from './validate.js';
export { fastPredictRequest } from './fast-parse.js';
export {
  ARTIFACT_FORMAT,
  ARTIFACT_SCHEMA_VERSION,
  type Artifact,
  ArtifactSchema,
  type ArtifactSegment,
  type ArtifactV1,
  ArtifactV1Schema,
  BatchRequestSchema,
  CustomerFeaturesSchema,
  type DataSummary,
  FEATURES,
  type FeatureName,
  type KMeansParams,
  type KSelection,
  LIMITS,
  MAX_BATCH,
  type Metrics,
  type NamingRule,
  OUTLIER_FIELD,
  type Prediction,
  type PredictResponse,
  PredictResponseSchema,
  type PurchaseRhythm,
  type RfmValues,
  type SweepPoint,
} from './schemas.js';
export { fitScaler, inverseTransform, type Scaler, transformInto, transformRows } from './preprocess.js';
export { type Classified, nearestCentre, Predictor } from './predict.js';
export { LOST_BEYOND_GAPS, nameClusters, RECENT_WITHIN_GAPS, SEGMENT_CATALOGUE, scoreRfm } from './segments.js';
export { adjustedRandIndex, extent, formatShare, median, percentileSorted, quintiles } from './stats.js';
export { sha256Hex } from './hash.js';
export {
  ARTIFACT_REJECTIONS,
  type ArtifactRejection,
  ArtifactRejectedError,
  artifactRejection,
  parseArtifact,
  serializeArtifact,
} from './artifact.js';
export { type Config, ENV_VARS, loadConfig } from './config.js';
export { rfmFromTransactions, type TransactionLine } from './transactions.js';
export {
  MAX_TRANSACTIONS,
  TransactionsRequestSchema,
  type TransactionsResponse,
  TransactionsResponseSchema,
  transactionsCustomer,
} from './transactions-api.js';
export {
  ATTRIBUTE_COLUMN_NAMES,
  CONSENT_NO,
  CONSENT_YES,
  consentWord,
  CUSTOMER_ATTRIBUTES,
  type CustomerAttribute,
  FIRST_LAST_NAME_COLUMNS,
  parseConsent,
  columnIndex,
  EXPORT_COLUMN_NAMES,
  EXPORT_ROLES,
  type ExportRole,
  FEATURE_COLUMN_NAMES,
  type FeatureField,
  normalizeColumnName,
} from './columns.js';
export { mulberry32, type Rng } from './random.js';
export { ALIAS_PATTERN, MODEL_NAME_PATTERN, NUMERIC_STRING, VERSION_PATTERN } from './patterns.js';
export {
  RUN_ID_PATTERN,
  type RunFacts,
  RunFactsSchema,
  type SegmentSummary,
  SegmentSummarySchema,
  CustomerIdSchema,
} from './runs.js';
export { distanceToCentre, OUTLIER_PERCENTILE, outlierFlag, outlierThresholds } from './outliers.js';
export { trainingRevenue } from './revenue.js';
export {
  ENV_ADMIN_NAME,
  ENV_READER_NAME,
  hashToken,
  type Person,
  parseUsersFile,
  type Role,
  ROLES,
  RoleSchema,
  roleAllows,
  type UserEntry,
  UserNameSchema,
} from './users.js';
export {
  People,
  type PeopleOptions,
  readUsersFile,
  readUsersFileOrEmpty,
  updateUsersFile,
  writeUsersFile,
} from './users-file.js';
export {
  assessDrift,
  binShares,
  clusterShares,
  DEFAULT_DRIFT_THRESHOLDS,
  decileEdges,
  DRIFT_ENV,
  DRIFT_FEATURES,
  type DriftFeature,
  type DriftInput,
  type DriftThresholds,
  DriftThresholdsSchema,
  driftThresholdsFromEnv,
  EXPECTED_OUTLIER_RATE,
  PartialDriftThresholdsSchema,
  psi,
  PSI_EPSILON,
  type RunDrift,
  RunDriftSchema,
} from './drift.js';

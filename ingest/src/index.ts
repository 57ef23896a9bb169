/**
 * @rfm/ingest public surface: reading a transaction export (CSV, CSV.gz, Parquet) into the
 * per-customer RFM table with DuckDB, reading a ready RFM table (`--features`), and writing it
 * (`rfm features`). Training fits on what this returns; the server will score exports with it.
 */
export {
  readExport,
  aggregateExport,
  readRfmTable,
  addDays,
  type ImportOptions,
  type ExportAggregate,
  type ReadHooks,
  type DuckConnection,
  DROP_REASONS_QP,
  DROP_REASONS_AMOUNT,
  FREQUENCY_BASES,
  REJECTED_SAMPLES,
  SAMPLE_WINDOW,
  samplesText,
  type FrequencyBasis,
} from './export-reader.js';
export { ENCODING_CHOICES, parseEncoding, detectEncoding, decodeWindows1252, type Encoding } from './encoding.js';
export { parseDecimal, type DecimalMark } from './numbers.js';
export { detectLayout, type Layout } from './layouts.js';
export { readFeatures, todayUtc } from './features-reader.js';
export { computeFeatures, outFormat, type FeaturesResult } from './features.js';
export {
  parseColumnMapping,
  resolveColumns,
  normalizeName,
  ROLES,
  KNOWN_NAMES,
  type ColumnMapping,
  type ResolvedColumns,
  type Role,
} from './columns.js';
export { DATE_FORMATS } from './dates.js';
export { withDuck, withDuckSoon, queryObjects, asReadError } from './duck.js';
export { sqlString, sqlIdent } from './sql.js';
export {
  sortByCid,
  column,
  CONSENT_NO,
  CONSENT_UNKNOWN,
  CONSENT_YES,
  type RfmTable,
  type TableAttributes,
} from './rfm-table.js';
export {
  parseAttributeMapping,
  resolveAttributes,
  type AttributeColumns,
  type AttributeMapping,
  type AttributeRequest,
} from './attributes.js';
export { ImportFlagsSchema, type ImportFlags, IsoDay } from './options.js';
export { type FilePassProgress, headerNames } from './source.js';

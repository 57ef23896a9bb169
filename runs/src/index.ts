/**
 * @rfm/runs: scoring every customer of an export with a registered version, the per-segment
 * summary, the compact form saved runs keep, the migration between two runs, and the customer
 * files. Used by the CLI (`rfm score`, `rfm runs`) and the server's runs API; never by training.
 */
export { scoreExport, scoreRead } from './score-export.js';
export { scoreTable } from './score-table.js';
export { summarize } from './summary.js';
export {
  CUSTOMERS_ENCODING,
  CUSTOMERS_ENCODINGS,
  decodeCustomers,
  decodeCustomersAsync,
  encodeCustomers,
  selectCustomers,
} from './encoding.js';
export { attributeFacts } from './score-export.js';
export { CustomerIndex, CustomerIndexCache, type CustomerLookup } from './customer-index.js';
export { eraseFromRuns, withoutCustomer } from './erase.js';
export {
  diffRuns,
  transitionCustomers,
  type KeyTransition,
  type Movers,
  type RunDiff,
  type RunSide,
  type Transition,
} from './diff.js';
export { customerHistory } from './history.js';
export { driftForRun, driftThresholds, measureDrift } from './drift.js';
export {
  postWebhook,
  runWebhookPayload,
  type RunWebhookPayload,
  type WebhookDelivery,
  type WebhookOptions,
} from './webhook.js';
export { matchCustomers } from './match.js';
export {
  catalogueName,
  labelsFromSummary,
  segmentMatches,
  shownName,
  type ClusterLabels,
  type SegmentKey,
} from './labels.js';
export {
  ALL_CUSTOMERS,
  ATTRIBUTE_CUSTOMER_COLUMNS,
  CONSENTED_ONLY,
  consentAllows,
  CUSTOMER_COLUMNS,
  customerColumns,
  customersCsv,
  filtersConsent,
  listedCount,
  listSuffix,
  transitionsCsv,
  type ListOptions,
  type Mover,
  customersFormat,
  selectClusters,
  writeCustomersFile,
  type CustomersFormat,
} from './writers.js';
export { earlierRuns, loadSavedRun, newRunInput, rowsForRun } from './saved.js';
export {
  CONSENT_NO,
  CONSENT_UNKNOWN,
  CONSENT_YES,
  OUTLIER_NO,
  OUTLIER_UNKNOWN,
  OUTLIER_YES,
  type CustomerHistory,
  type CustomerRows,
  type RunFacts,
  type RunProgress,
  type SavedRunWithCustomers,
  type ScoredCustomers,
  type ScoredExport,
  type ScoreOptions,
  type SegmentSummary,
} from './types.js';

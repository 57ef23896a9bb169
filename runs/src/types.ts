import type { ImportOptions } from '@rfm/ingest';
import type { RunRecord } from '@rfm/registry';
import type { RunFacts, SegmentSummary } from '@rfm/shared';

export type { RunFacts, SegmentSummary };

/** `outlier` values: the artifact has no thresholds (trained before them) → unknown. */
export const OUTLIER_NO = 0;
export const OUTLIER_YES = 1;
export const OUTLIER_UNKNOWN = 2;

/**
 * Every customer of a scored export, column by column (one index = one customer, sorted by cid
 * as training sorts them). Columnar so a million customers cost a few typed arrays, not a million
 * objects.
 */
export interface ScoredCustomers {
  cid: string[];
  recency: Float64Array;
  frequency: Float64Array;
  monetary: Float64Array;
  /** 1–5 against the version's training quintiles (recency reversed: recent = 5) */
  rScore: Uint8Array;
  fScore: Uint8Array;
  mScore: Uint8Array;
  cluster: Uint16Array;
  /** Euclidean distance to the cluster's centroid in the version's standardized space */
  distance: Float64Array;
  /** 0 no, 1 yes, 2 unknown (old artifact without thresholds) */
  outlier: Uint8Array;
  /**
   * Customer attributes, present only when the export carried them ('' where a customer has no
   * value). Personal data: written to customer downloads, never logged. Runs saved before
   * attributes existed decode without them.
   */
  email?: string[];
  name?: string[];
  /** CONSENT_NO 0 / CONSENT_YES 1 / CONSENT_UNKNOWN 2 (blank consent cells) */
  consent?: Uint8Array;
}

export { CONSENT_NO, CONSENT_UNKNOWN, CONSENT_YES } from '@rfm/ingest';

export interface RunProgress {
  phase: 'reading' | 'aggregating' | 'scoring' | 'saving';
  rowsRead: number;
  percent: number;
}

export type ScoreOptions = ImportOptions & {
  /** phase boundaries, and while reading at most every progressEveryMs (rows read so far, percent) */
  onProgress?: (p: RunProgress) => void;
  /** default 250 ms */
  progressEveryMs?: number;
  signal?: AbortSignal;
  /** DuckDB threads (a server runs scoring with 1, beside request handling) */
  duckThreads?: number;
  /** where DuckDB may spill (default: its own private temp folder) */
  tempDir?: string;
  /** DuckDB memory limit, e.g. '512MB' */
  memoryLimit?: string;
};

export interface ScoredExport {
  facts: RunFacts;
  customers: ScoredCustomers;
  summary: SegmentSummary[];
}

/** A saved run with its customers decoded: what diffs and customer history work on. */
export interface SavedRunWithCustomers {
  run: RunRecord;
  customers: ScoredCustomers;
}

/** Per customer, from earlier saved runs of the same model (null: no earlier run knew the customer). */
export interface CustomerHistory {
  previousSegment: (string | null)[];
  /** snapshot date of the first run of the unbroken streak in the current segment (by catalogue key) */
  segmentSince: (string | null)[];
}

/** What the customer writers take: the customers, their segment names by cluster, and history if any. */
export interface CustomerRows {
  customers: ScoredCustomers;
  /** display name of each cluster's segment in the version used */
  segmentNames: readonly string[];
  /** catalogue key of each cluster's segment (for `--segment champions` and shown names) */
  segmentKeys: readonly SegmentSummary['key'][];
  history?: CustomerHistory | null;
}

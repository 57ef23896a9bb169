import type { Issue, RfmErrorCode } from '@rfm/shared';

/** How to read the export (validated by the route, passed through to @rfm/ingest's import rules). */
export interface RunReadOptions {
  columns?: Record<string, string>;
  dateFormat?: string;
  asOf?: string;
  /** customer attribute columns (email/name/consent → column), or 'none' to read none */
  attributes?: Record<string, string> | 'none';
}

/** parent → child: the one message a run child receives */
export interface ChildStart {
  id: string;
  registry: string;
  model: string;
  version: number;
  save: boolean;
  actor: string;
  file: string;
  dir: string;
  exportName: string;
  options: RunReadOptions;
  memoryLimit: string;
  niceness: number;
}

/** child → parent */
export type ChildReply =
  | { type: 'progress'; phase: string; rowsRead: number; percent: number }
  | {
      type: 'done';
      saved: boolean;
      facts: unknown;
      summary: unknown;
      /** the model's webhook and the run's summary for it (no customer rows), posted by the parent */
      webhook?: { url: string; payload: unknown } | null;
      /** why no summary could be made for a configured webhook (the run is saved all the same) */
      webhookError?: string;
    }
  | { type: 'error'; code: RfmErrorCode | 'INTERNAL'; message: string; issues: Issue[] };

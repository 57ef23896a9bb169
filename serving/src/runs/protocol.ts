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
  | { type: 'done'; saved: boolean; facts: unknown; summary: unknown }
  | { type: 'error'; code: RfmErrorCode | 'INTERNAL'; message: string; issues: Issue[] };

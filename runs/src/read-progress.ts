import type { FilePassProgress } from '@rfm/ingest';
import type { RunProgress } from './types.js';

/**
 * Progress while an export is read, not only at phase boundaries. Two sources:
 * - rfm's own pass over the file (hash, gzip inflate, line lengths: @rfm/ingest's onFilePass):
 *   bytes of the file and complete lines so far. Lines minus the header are the rows read so far
 *   (a quoted field spanning lines counts once per line, so it may run slightly ahead);
 * - DuckDB's query progress (enable_progress_bar without printing), polled: how far its parse and
 *   aggregation of the (inflated) file is. Each statement restarts at 0, so only the best seen counts.
 * The reading phase spans 0–70 % (aggregating starts at 70): the file pass 0–40, DuckDB 40–70.
 * Parquet and spreadsheets have no line pass: their rows are known at the phase boundary.
 */
export const FILE_PASS_SHARE = 40;
export const DUCK_SHARE = 30;
export const PROGRESS_EVERY_MS = 250;

export interface ReadState {
  file?: FilePassProgress;
  /** best DuckDB percentage seen (0–100), -1 before any */
  duckBest: number;
}

/** The reading phase's progress from what is known; never below `prev` (reports only move forward). */
export function readingProgress(s: ReadState, prev: RunProgress | null): RunProgress {
  const fileDone = s.file ? s.file.bytes / Math.max(1, s.file.totalBytes) : 0;
  // DuckDB's figure counts once the file pass is through (before that, only its short sniffing runs)
  const duck = s.duckBest >= 0 && (!s.file || fileDone >= 1) ? s.duckBest / 100 : 0;
  const percent = Math.round(10 * (FILE_PASS_SHARE * Math.min(1, fileDone) + DUCK_SHARE * Math.min(1, duck))) / 10;
  const rows = s.file?.lines !== undefined ? Math.max(0, s.file.lines - 1) : 0;
  return {
    phase: 'reading',
    rowsRead: Math.max(prev?.rowsRead ?? 0, rows),
    percent: Math.max(prev?.percent ?? 0, percent),
  };
}

/**
 * Report reading progress every `everyMs` while `read` runs (only when something moved), from the
 * file pass and DuckDB's progress on `conn`. Returns read's result; the timer never outlives it.
 */
/** The part of a DuckDB connection this needs (withDuck's connection). */
export interface ProgressConnection {
  run(sql: string): Promise<unknown>;
  readonly progress: { percentage: number };
}

export async function withReadProgress<T>(
  conn: ProgressConnection,
  onProgress: (p: RunProgress) => void,
  read: (onFilePass: (p: FilePassProgress) => void) => Promise<T>,
  everyMs = PROGRESS_EVERY_MS,
): Promise<T> {
  await conn.run('SET enable_progress_bar = true');
  await conn.run('SET enable_progress_bar_print = false');
  await conn.run('SET progress_bar_time = 0');
  const state: ReadState = { duckBest: -1 };
  let last: RunProgress | null = null;
  const tick = () => {
    const pct = conn.progress.percentage; // -1 between statements
    if (pct > state.duckBest) state.duckBest = pct;
    const p = readingProgress(state, last);
    if (last && p.percent === last.percent && p.rowsRead === last.rowsRead) return;
    last = p;
    onProgress(p);
  };
  const timer = setInterval(tick, everyMs);
  try {
    return await read((f) => {
      state.file = f;
    });
  } finally {
    clearInterval(timer);
  }
}

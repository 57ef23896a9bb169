import {
  createWriteStream,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  closeSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RfmError } from '@rfm/shared';

/**
 * The only place serving writes files: one private folder per scoring run. DuckDB reads Parquet
 * from a file and inflates gzip exports to a plain copy, so a run needs disk. Every folder lives
 * under one base folder of this user (mode 0700, refused if it is a link or anyone else's), is
 * named by the server (`<serve pid>-<run id>`, never a client-chosen name), holds the upload under
 * a fixed name, and is removed when the run ends however it ends, and at server start for runs
 * whose server is gone (identity.ts).
 */

/** Largest export a client may upload for one run (bytes). 10M transaction rows are about 0.9 GB of CSV. */
export const RUN_UPLOAD_MAX_BYTES = 2 * 1024 ** 3;

export type ExportFormat = 'csv' | 'csv.gz' | 'parquet';

/** The base folder, created private on first use; checked every time (a link or a foreign owner is refused). */
export function runsBaseDir(root = tmpdir()): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const base = join(root, `rfm-runs-${uid}`);
  mkdirSync(base, { recursive: true, mode: 0o700 });
  const st = lstatSync(base);
  if (!st.isDirectory() || st.isSymbolicLink() || (typeof process.getuid === 'function' && st.uid !== uid))
    throw new RfmError('INTERNAL', 'the scoring runs temp folder is not a private folder of this user');
  if ((st.mode & 0o077) !== 0)
    throw new RfmError('INTERNAL', 'the scoring runs temp folder is readable by other users (expected mode 0700)');
  return base;
}

/** A new private folder for one run; fails if it exists (a folder is never reused). */
export function createRunFolder(base: string, groupPid: number, runId: string): string {
  const dir = join(base, `${groupPid}-${runId}`);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

export function removeRunFolder(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** The folder of a run, if it exists (any process of the same serve instance may execute it). */
export function runFolderOf(base: string, groupPid: number, runId: string): string {
  return join(base, `${groupPid}-${runId}`);
}

/**
 * Remove run folders that nothing will use: those whose serve instance is gone (`alive(groupPid)`
 * false) and those `finished(runId)` says are over. Returns the names removed.
 */
export async function sweepRunFolders(
  base: string,
  alive: (pid: number) => boolean,
  finished: (runId: string, dir: string) => Promise<boolean>,
): Promise<string[]> {
  const removed: string[] = [];
  for (const name of readdirSync(base)) {
    const m = /^(\d+)-(r-[0-9a-f-]+)$/.exec(name);
    if (!m) continue;
    const dir = join(base, name);
    if (!alive(Number(m[1])) || (await finished(m[2]!, dir))) {
      removeRunFolder(dir);
      removed.push(name);
    }
  }
  return removed;
}

/**
 * Stream an upload into the run folder under a fixed name, refusing it past `maxBytes` (413,
 * the partial file removed with the folder by the caller). The format is told by the bytes
 * (gzip magic, Parquet's PAR1), not by anything the client named.
 */
export async function receiveUpload(
  dir: string,
  source: Readable,
  maxBytes = RUN_UPLOAD_MAX_BYTES,
): Promise<{ file: string; bytes: number; format: ExportFormat }> {
  const part = join(dir, 'upload.part');
  let bytes = 0;
  // past the cap the rest is read and dropped, not written: destroying the request would cut the
  // connection before the client could read the 413 (the route also refuses a declared length at once)
  const cap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      cb(null, bytes > maxBytes ? undefined : chunk);
    },
  });
  await pipeline(source, cap, createWriteStream(part, { flags: 'wx', mode: 0o600 }));
  if (bytes > maxBytes)
    throw new RfmError(
      'PAYLOAD_TOO_LARGE',
      `export too large: runs accept at most ${maxBytes.toLocaleString('en-US')} bytes`,
      { details: { limit: maxBytes } },
    );
  if (bytes === 0)
    throw new RfmError(
      'INVALID_INPUT',
      'the export is empty: send the file as the request body or a multipart "file" field',
    );
  const format = sniff(part);
  const file = join(dir, `export.${format}`);
  renameSync(part, file);
  return { file, bytes, format };
}

function sniff(file: string): ExportFormat {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(4);
    const n = readSync(fd, head, 0, 4, 0);
    if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'csv.gz';
    if (n === 4 && head.toString('latin1') === 'PAR1') return 'parquet';
    return 'csv';
  } finally {
    closeSync(fd);
  }
}

// ---- uploads kept after their run, for retraining (RFM_RUN_UPLOAD_KEEP_HOURS) ----------------

/**
 * After a run is saved its upload moves to `kept-<run id>` under the same private base folder:
 * named by the run, not by the server process, so it outlives a restart, and dated by the folder's
 * modification time (set when kept). `sweepKeptUploads` deletes every one older than the keeping
 * time; a kept upload is never read after that even before a sweep (`keptUpload` says none).
 */
const keptFolder = (base: string, runId: string) => join(base, `kept-${runId}`);

/** Move the run's upload out of its run folder (removed next) into its kept folder. False when there is none. */
export function keepUpload(base: string, runDir: string, runId: string): boolean {
  const name = readdirSync(runDir).find((f) => f.startsWith('export.'));
  if (!name) return false;
  const dir = keptFolder(base, runId);
  mkdirSync(dir, { mode: 0o700 });
  renameSync(join(runDir, name), join(dir, name));
  const now = new Date();
  utimesSync(dir, now, now);
  return true;
}

/** The kept upload of a run and until when it is kept, or null (never kept, or its time is over). */
export function keptUpload(
  base: string,
  runId: string,
  keepMs: number,
  now = Date.now(),
): { file: string; until: Date } | null {
  const dir = keptFolder(base, runId);
  let since: number;
  let names: string[];
  try {
    since = lstatSync(dir).mtimeMs;
    names = readdirSync(dir);
  } catch {
    return null;
  }
  const name = names.find((f) => f.startsWith('export.'));
  const until = since + keepMs;
  return name && until > now ? { file: join(dir, name), until: new Date(until) } : null;
}

/** Delete a run's kept upload now (the run was deleted). */
export function removeKeptUpload(base: string, runId: string): void {
  removeRunFolder(keptFolder(base, runId));
}

/** Delete kept uploads older than `keepMs` (all of them when it is 0). Returns the folder names removed. */
export function sweepKeptUploads(base: string, keepMs: number, now = Date.now()): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(base)) {
    if (!/^kept-r-[0-9a-f-]+$/.test(name)) continue;
    const dir = join(base, name);
    let since = 0;
    try {
      since = statSync(dir).mtimeMs;
    } catch {
      continue;
    }
    if (since + keepMs <= now) {
      removeRunFolder(dir);
      removed.push(name);
    }
  }
  return removed;
}

/** The first `bytes` bytes of a file in a run folder (read-only; file access stays in this one module). */
export function readFileHead(file: string, bytes: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    return buf.subarray(0, readSync(fd, buf, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

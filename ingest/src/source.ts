import { stat } from 'node:fs/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { basename } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { RfmError } from '@rfm/shared';
import { queryObjects } from './duck.js';
import { sqlString } from './sql.js';

export type SourceFormat = 'csv' | 'csv.gz' | 'parquet' | 'xlsx';

export interface ColumnInfo {
  name: string;
  /** DuckDB type name, e.g. VARCHAR, DOUBLE, TIMESTAMP */
  type: string;
}

/**
 * Format from the file name. DuckDB sniffs the delimiter; a gzipped export is inflated by rfm
 * itself to a private plain copy first (DuckDB decompresses gzip on one thread), which DuckDB then reads.
 */
export function detectFormat(path: string): SourceFormat {
  const name = basename(path).toLowerCase();
  if (name.endsWith('.parquet') || name.endsWith('.pq')) return 'parquet';
  if (/\.(csv|tsv|txt)\.gz$/.test(name)) return 'csv.gz';
  if (/\.(csv|tsv|txt)$/.test(name)) return 'csv';
  if (name.endsWith('.xlsx')) return 'xlsx';
  throw new RfmError(
    'UNSUPPORTED',
    `unsupported file type "${basename(path)}": expected .csv, .csv.gz (or .tsv, .txt, gzipped too), .xlsx or .parquet`,
    {
      issues: [
        {
          path: 'file',
          message: 'unknown extension',
          expected: '.csv, .csv.gz, .tsv, .txt, .xlsx, .parquet',
          found: basename(path),
        },
      ],
    },
  );
}

/**
 * The table expression DuckDB reads. CSV is read as text (all_varchar) so that a bad value in
 * one row is counted under a drop reason later instead of failing the whole read.
 */
export function sourceSql(path: string, format: 'csv' | 'csv.gz' | 'parquet'): string {
  return format === 'parquet'
    ? `read_parquet(${sqlString(path)})`
    : `read_csv(${sqlString(path)}, header = true, all_varchar = true)`;
}

export async function describeSource(conn: DuckDBConnection, src: string): Promise<ColumnInfo[]> {
  const rows = await queryObjects(conn, `DESCRIBE SELECT * FROM ${src}`);
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

export interface FileInfo {
  file: string;
  bytes: number;
  sha256: string;
  /** first line longer than MAX_LINE_BYTES (only when lines were checked) */
  longLine?: { line: number; bytes: number };
  /** more than one kind of line end (\r\n, \n, \r) in the file (only when lines were checked) */
  mixedLineEnds?: true;
}

/** DuckDB's own max_line_size: a longer line fails the read anyway, but only after a slow scan. */
export const MAX_LINE_BYTES = 2_000_000;

/** Existence and size first, so a missing or empty file gets a plain message, not a DuckDB one. */
export async function checkFile(path: string, what: string): Promise<number> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new RfmError('INVALID_INPUT', `${what} ${path} is not a file`);
    size = s.size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new RfmError('NOT_FOUND', `${what} not found: ${path}`);
    throw e;
  }
  if (size === 0) throw new RfmError('INVALID_INPUT', `${what} ${path} is empty (0 bytes)`);
  return size;
}

function drained(w: NodeJS.WritableStream & { destroyed: boolean }): Promise<void> {
  return new Promise((resolve) => {
    if (w.destroyed) return resolve();
    const done = () => {
      w.off('drain', done);
      w.off('close', done);
      resolve();
    };
    w.on('drain', done);
    w.on('close', done);
  });
}

/**
 * Tracks the length of the current line over chunks; remembers the first line over the limit.
 * A line ends at \n or \r (DuckDB reads CR-only files too); lines are numbered by \n.
 */
export class LineLengths {
  /** the line being read (1-based, counted by \n): the lines before it are complete */
  line = 1;
  private current = 0;
  private nl = -1;
  private cr = -1;
  found: { line: number; bytes: number } | undefined;
  /** kinds of line end seen: 1 \r\n, 2 \n alone, 4 \r alone */
  private kinds = 0;
  /** the previous chunk ended with \r: the kind depends on this chunk's first byte */
  private crPending = false;
  /** more than one kind of line end so far: DuckDB's sniffer, which sees the start, may not know */
  get mixed(): boolean {
    const k = this.kinds | (this.crPending ? 4 : 0);
    return (k & (k - 1)) !== 0;
  }
  feed(chunk: Buffer): void {
    if (this.found || chunk.length === 0) return;
    const afterCr = this.crPending;
    if (afterCr) this.kinds |= chunk[0] === 10 ? 1 : 4;
    this.crPending = false;
    let from = 0;
    this.nl = this.cr = -1;
    for (;;) {
      if (this.nl < from) this.nl = chunk.indexOf(10, from);
      if (this.cr !== -2 && this.cr < from) this.cr = chunk.indexOf(13, from);
      if (this.cr === -1) this.cr = -2; // none left in this chunk: stop looking
      const end = this.cr >= 0 && (this.nl < 0 || this.cr < this.nl) ? this.cr : this.nl;
      this.current += (end < 0 ? chunk.length : end) - from;
      if (this.current > MAX_LINE_BYTES) {
        this.found = { line: this.line, bytes: this.current };
        return;
      }
      if (end < 0) return;
      if (end === this.nl) {
        this.line++;
        // a \n right after a \r was counted with it (below)
        if (end > 0 ? chunk[end - 1] !== 13 : !afterCr) this.kinds |= 2;
      } else if (end + 1 < chunk.length) this.kinds |= chunk[end + 1] === 10 ? 1 : 4;
      else this.crPending = true;
      this.current = 0;
      from = end + 1;
    }
  }
}

/**
 * The first line over MAX_LINE_BYTES among the first `limit` bytes (decompressed for gzip). Run
 * before DuckDB sniffs the file: its sniffer cannot be interrupted and takes minutes over a line of
 * tens of MB; lines further on are found by fileInfo's pass, which interrupts the read.
 */
export async function longLineInHead(
  path: string,
  opts: { gzip?: boolean; limit?: number } = {},
): Promise<FileInfo['longLine']> {
  const limit = opts.limit ?? 16 * 1024 * 1024;
  const lines = new LineLengths();
  const file = createReadStream(path);
  const source = opts.gzip ? file.pipe(createGunzip()) : file;
  let seen = 0;
  try {
    for await (const chunk of source) {
      lines.feed(chunk as Buffer);
      seen += (chunk as Buffer).length;
      if (lines.found || seen > limit) break;
    }
  } catch {
    // a broken gzip stream: fileInfo's full pass says so
  } finally {
    file.destroy();
    source.destroy();
  }
  return lines.found;
}

/** How far fileInfo's pass is: bytes of the file read, and (text) complete lines seen so far. */
export interface FilePassProgress {
  bytes: number;
  totalBytes: number;
  /** complete lines decompressed/read so far (the header included); undefined without `lines` */
  lines?: number;
}

/**
 * sha256 of the file's bytes, streamed (exports can be larger than memory). With `lines`, the same
 * pass finds the first line over MAX_LINE_BYTES (decompressed for `gzip`); with `gzip`, it also
 * checks the gzip stream is whole: a file cut short is an error even where DuckDB would read it
 * (a cut at a line boundary reads as a shorter, valid-looking export).
 */
export async function fileInfo(
  path: string,
  opts: {
    gzip?: boolean;
    lines?: boolean;
    inflateTo?: string;
    /** gzip: every inflated chunk, in order */
    onPlain?: (chunk: Buffer) => void;
    /** called after every chunk (1 MB of the file): how far the pass is, for progress reports */
    onProgress?: (p: FilePassProgress) => void;
  } = {},
): Promise<FileInfo> {
  const totalBytes = opts.onProgress ? (await stat(path)).size : 0;
  const hash = createHash('sha256');
  const lines = opts.lines ? new LineLengths() : undefined;
  // 1 MB chunks: the default 16 kB ones cost more in stream overhead than the inflating itself
  const gunzip = opts.gzip ? createGunzip({ chunkSize: 1 << 20 }) : undefined;
  const inflated = gunzip
    ? new Promise<void>((resolve, reject) => {
        gunzip.on('data', (c: Buffer) => {
          lines?.feed(c);
          opts.onPlain?.(c);
        });
        if (opts.inflateTo) {
          // the plain copy DuckDB reads in parallel (it decompresses gzip on one thread)
          const out = createWriteStream(opts.inflateTo, { highWaterMark: 1 << 20 });
          out.on('error', reject);
          out.on('close', resolve);
          gunzip.pipe(out);
        } else gunzip.on('end', resolve);
        gunzip.on('error', (e) =>
          reject(
            new RfmError(
              'INVALID_INPUT',
              `${basename(path)} is not a whole gzip file (${(e as Error).message}): it was cut short or damaged; copy or download it again`,
              {
                issues: [
                  {
                    path: 'file',
                    message: 'broken gzip stream',
                    found: (e as NodeJS.ErrnoException).code ?? (e as Error).message,
                  },
                ],
              },
            ),
          ),
        );
      })
    : undefined;
  inflated?.catch(() => {}); // awaited below
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    if (gunzip) {
      if (gunzip.destroyed) break; // broken stream: the answer is an error, no need to read on
      if (!gunzip.write(chunk)) await drained(gunzip);
    } else lines?.feed(chunk as Buffer);
    opts.onProgress?.({ bytes, totalBytes, ...(lines ? { lines: lines.line - 1 } : {}) });
  }
  if (gunzip && !gunzip.destroyed) gunzip.end();
  await inflated;
  return {
    file: basename(path),
    bytes,
    sha256: hash.digest('hex'),
    ...(lines?.found ? { longLine: lines.found } : {}),
    ...(lines?.mixed ? { mixedLineEnds: true as const } : {}),
  };
}

/**
 * The first `limit` bytes of a text fed in chunks, cut after the last line end in them: `done`
 * resolves once that much has come, or undefined when the text ends (or fails) first — the whole
 * text is then no sample.
 */
export class PlainSample {
  private parts: Buffer[] = [];
  private seen = 0;
  private settle!: (b: Buffer | undefined) => void;
  readonly done = new Promise<Buffer | undefined>((resolve) => {
    this.settle = resolve;
  });
  constructor(private readonly limit: number) {}
  feed(chunk: Buffer): void {
    if (this.seen >= this.limit) return;
    this.parts.push(chunk);
    this.seen += chunk.length;
    if (this.seen < this.limit) return;
    const head = Buffer.concat(this.parts).subarray(0, this.limit);
    this.parts = [];
    const cut = head.lastIndexOf(10);
    this.settle(cut < 0 ? undefined : Buffer.from(head.subarray(0, cut + 1)));
  }
  end(): void {
    this.parts = [];
    this.settle(undefined);
  }
}

/** Names in a header line split at `delim`, quotes removed (`"a,b"` is one name). */
export function headerNames(line: string, delim: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '"') {
      if (quoted && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (ch === delim && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/**
 * Sniff a CSV once and return a `read_csv` that states its dialect (every column as text): DuckDB
 * sniffs again on every `read_csv` left to detect (0.1–0.2 s on the UCI export here; its
 * `sniff_csv` function takes longer still), and rfm reads the source several times (columns,
 * number formats, the aggregation, rejected-row samples). The delimiter is the header line's
 * (quotes `"`); when the header split that way does not give the names DuckDB found, the
 * detecting `read_csv` is kept. Throws DuckDB's error when it cannot detect the dialect.
 */
export async function sniffedCsv(
  conn: DuckDBConnection,
  path: string,
): Promise<{ src: string; columns: ColumnInfo[] }> {
  const auto = sourceSql(path, 'csv');
  const columns = await describeSource(conn, auto);
  const head = await readFirstLine(path);
  for (const delim of [',', ';', '\t', '|']) {
    const names = headerNames(head, delim);
    if (names.length === columns.length && names.every((n, i) => n === columns[i]!.name)) {
      const cols = `{${names.map((n) => `${sqlString(n)}: 'VARCHAR'`).join(', ')}}`;
      return {
        src: `read_csv(${sqlString(path)}, auto_detect = false, header = true, delim = ${sqlString(delim)}, quote = '"', escape = '"', columns = ${cols})`,
        columns,
      };
    }
  }
  return { src: auto, columns };
}

/** The first line of a text file (BOM and line end removed), from its first 64 kB. */
async function readFirstLine(path: string): Promise<string> {
  const file = createReadStream(path, { start: 0, end: 65_535 });
  const parts: Buffer[] = [];
  for await (const c of file) parts.push(c as Buffer);
  const text = Buffer.concat(parts)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  return text.split(/\r?\n|\r/)[0] ?? '';
}

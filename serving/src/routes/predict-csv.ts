import type { Socket } from 'node:net';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { Router, type Request, type Response } from 'express';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import { FORMULA_SAFE } from '../csv-formula.js';
import {
  columnIndex,
  customerFromFields,
  FEATURE_COLUMN_NAMES,
  normalizeColumnName,
  RfmError,
  type FeatureField,
} from '@rfm/shared';
import type { LoadedModel, ModelHolder } from '../model-holder.js';
import type { ServingMetrics } from '../metrics.js';
import { hasBody } from '../middleware/json-body.js';
import { parseSelector } from './selector.js';
import { ScoringRun } from '../scoring.js';

/**
 * POST /api/v1/predict/csv — score a CSV of customers, streaming.
 *
 * In: a header line naming at least recency, frequency and monetary (any case, so
 * `CID, Recency, Frequency, Monetary` and `CustomerID` work), then one customer per line. Other
 * columns are echoed unchanged, so a CRM export can be sent as it is.
 *
 * Out: the same rows in the same order with `cluster`, `segment`, `outlier` (true, false, or empty
 * for a version without thresholds) and `error` appended, written as they are scored (memory stays flat however long the file). Every row is scored by the one model
 * version named in the `x-model-version` header.
 *
 * Errors — the decision: problems with the request as a whole (not CSV, empty, no header, a
 * required column missing, over the size limit when the length is known up front) are a 4xx JSON
 * error before anything is written. A bad row does not fail the file: it comes back with empty
 * `cluster`, `segment` and `outlier` and an `error` naming the row and the column ("row 7, Frequency:
 * frequency must be a whole number"), so one typo in a 100,000-line export costs one line, not
 * the whole upload. If the body turns out larger than the limit or unparsable (an unclosed quote)
 * after rows have gone out, the answer ends with one last line whose `error` says so.
 */

export const CSV_TYPES = ['text/csv', 'application/csv', 'text/plain'];
/** Bytes of CSV accepted in one request (about a million customers). */
export const CSV_BODY_LIMIT = 50 * 1024 * 1024;

type Field = FeatureField;
/** The RFM-table column names rfm recognises everywhere (shared/src/columns.ts). */
const HEADER_NAMES = columnIndex(FEATURE_COLUMN_NAMES);
const OUTPUT_COLUMNS = ['cluster', 'segment', 'outlier', 'error'];

function mb(n: number): string {
  return `${+(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Counts bytes and fails with 413 past the limit (for bodies without a content-length). */
function byteLimit(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      seen += chunk.length;
      if (seen > limit) cb(new RfmError('PAYLOAD_TOO_LARGE', `CSV body is larger than ${mb(limit)}; split the file`));
      else cb(null, chunk);
    },
  });
}

interface Columns {
  /** input column index of each field, -1 when absent (cid is optional) */
  at: Record<Field, number>;
  /** input columns echoed to the output (all but old cluster/segment/error columns) */
  echo: number[];
  header: string[];
}

function readHeader(header: string[]): Columns {
  const at: Record<Field, number> = { cid: -1, recency: -1, frequency: -1, monetary: -1 };
  const echo: number[] = [];
  header.forEach((name, i) => {
    const key = normalizeColumnName(name);
    const field = HEADER_NAMES.get(key);
    if (field && at[field] === -1) at[field] = i;
    if (!OUTPUT_COLUMNS.includes(key)) echo.push(i);
  });
  const missing = (['recency', 'frequency', 'monetary'] as const).filter((f) => at[f] === -1);
  if (missing.length)
    throw new RfmError(
      'INVALID_INPUT',
      `CSV header lacks column(s) ${missing.join(', ')}; found ${header
        .map((h) => JSON.stringify(h.slice(0, 40)))
        .join(', ')
        .slice(
          0,
          300,
        )}. The first line must name the columns: cid, recency, frequency, monetary (or CID, Recency, Frequency, Monetary)`,
      {
        issues: missing.map((m) => ({ path: `header.${m}`, message: 'missing column' })),
      },
    );
  return { at, echo, header };
}

function requestProblem(req: Request, limit: number): RfmError | null {
  if (!hasBody(req))
    return new RfmError(
      'INVALID_INPUT',
      'request body is empty: send a CSV whose first line names the columns cid, recency, frequency, monetary',
      { issues: [{ path: '(body)', message: 'empty' }] },
    );
  if (!req.is(CSV_TYPES))
    return new RfmError(
      'UNSUPPORTED',
      `content-type must be text/csv, got ${(req.get('content-type') ?? 'none').slice(0, 100)}`,
    );
  const len = Number(req.headers['content-length']);
  if (Number.isFinite(len) && len > limit)
    return new RfmError(
      'PAYLOAD_TOO_LARGE',
      `CSV body is ${mb(len)}, larger than the ${mb(limit)} limit; split the file`,
    );
  const charset = /charset=([^;]+)/i
    .exec(req.get('content-type') ?? '')?.[1]
    ?.trim()
    .toLowerCase()
    .replace(/^"|"$/g, '');
  if (charset && charset !== 'utf-8' && charset !== 'utf8' && charset !== 'us-ascii')
    return new RfmError('UNSUPPORTED', `charset ${charset.slice(0, 40)} is not supported; send UTF-8`);
  return null;
}

export function predictCsvRoutes(
  holder: ModelHolder,
  metrics?: ServingMetrics,
  opts: { bodyLimit?: number } = {},
): Router {
  const router = Router();
  const bodyLimit = opts.bodyLimit ?? CSV_BODY_LIMIT;
  router.post('/predict/csv', async (req, res) => {
    const problem = requestProblem(req, bodyLimit);
    if (problem) throw problem;
    const selector = parseSelector(req.query);
    const model = await holder.select(selector); // one version for the whole file
    await streamScoredCsv(req, res, model, metrics, {}, bodyLimit);
  });
  return router;
}

/**
 * The scoring itself, from any readable CSV body to the response (also used by the web form's
 * multipart upload, routes/ui-score.ts). Throws an RfmError before anything is written when the
 * file as a whole is wrong (no header, a missing column, unreadable); after that, problems go into
 * the `error` column as described above.
 */
export async function streamScoredCsv(
  req: Readable,
  res: Response,
  model: LoadedModel,
  metrics?: ServingMetrics,
  extraHeaders: Record<string, string> = {},
  bodyLimit = CSV_BODY_LIMIT,
): Promise<void> {
  {
    const scoring = new ScoringRun(model, metrics);

    const parser = parse({ bom: true, skip_empty_lines: true, relax_column_count: true, max_record_size: 64 * 1024 });
    const limiter = byteLimit(bodyLimit);
    req.on('error', (e) => limiter.destroy(e));
    limiter.on('error', (e) => parser.destroy(e));
    req.pipe(limiter).pipe(parser);

    let cols: Columns | null = null;
    let out: ReturnType<typeof stringify> | null = null;
    let row = 0;
    // a promise only when the socket pushes back, not one per row
    const write = (record: unknown[]): Promise<void> | undefined =>
      out!.write(record) ? undefined : new Promise<void>((r) => out!.once('drain', () => r()));
    try {
      for await (const record of parser as AsyncIterable<string[]>) {
        if (!cols) {
          cols = readHeader(record); // throws before anything is written: a JSON 4xx
          res
            .status(200)
            .type('text/csv; charset=utf-8')
            .set('x-model-version', String(model.version))
            .set('cache-control', 'no-store')
            .set(extraHeaders);
          out = stringify(FORMULA_SAFE);
          out.pipe(batcher()).pipe(res);
          await write([...cols.echo.map((i) => cols!.header[i]), ...OUTPUT_COLUMNS]);
          continue;
        }
        row++;
        const echo = cols.echo.map((i) => record[i] ?? '');
        if (record.length !== cols.header.length) {
          await write([
            ...echo,
            '',
            '',
            '',
            `row ${row}: ${record.length} fields, the header has ${cols.header.length}`,
          ]);
          continue;
        }
        const o = {
          cid: cols.at.cid >= 0 ? record[cols.at.cid] : undefined,
          recency: record[cols.at.recency],
          frequency: record[cols.at.frequency],
          monetary: record[cols.at.monetary],
        };
        const { customer: c, issue } = customerFromFields(o);
        if (issue) {
          const field = issue.path as Field;
          const name = field in cols.at && cols.at[field] >= 0 ? cols.header[cols.at[field]] : issue.path;
          await write([...echo, '', '', '', `row ${row}, ${name}: ${issue.message}`]);
          continue;
        }
        const { cluster, outlier } = scoring.classify(c);
        await write([...echo, cluster, scoring.segment(cluster).name, outlier === null ? '' : String(outlier), '']);
      }
      if (!cols)
        throw new RfmError(
          'INVALID_INPUT',
          'CSV has no header line: the first line must name the columns cid, recency, frequency, monetary',
          { issues: [{ path: '(body)', message: 'no header' }] },
        );
    } catch (e) {
      if (!out) {
        req.unpipe();
        req.resume(); // read and discard the rest so the connection can be reused
        throw asCsvError(e);
      }
      // rows already went out with a 200: say what happened on a last line, then stop reading
      const err = asCsvError(e);
      await write([...(cols?.echo.map(() => '') ?? []), '', '', '', `stopped after row ${row}: ${err.message}`]);
      // the unread rest of the body is not wanted: close the connection once the answer is out
      res.once('finish', () => (res.socket as (Socket & { destroySoon?: () => void }) | null)?.destroySoon?.());
    } finally {
      scoring.finish();
    }
    out!.end();
  }
}

/** csv-parse's errors (code CSV_*) → INVALID_INPUT naming the line; ours pass through. */
function asCsvError(e: unknown): RfmError {
  if (e instanceof RfmError) return e;
  const err = e as { code?: unknown; message?: unknown; lines?: unknown };
  // csv-parse's codes start with CSV_, all but INVALID_OPENING_QUOTE (a quote inside an unquoted field)
  if (typeof err.code === 'string' && (err.code.startsWith('CSV_') || err.code === 'INVALID_OPENING_QUOTE'))
    return new RfmError('INVALID_INPUT', `CSV cannot be read: ${String(err.message).slice(0, 200)}`, {
      issues: [{ path: typeof err.lines === 'number' ? `line ${err.lines}` : '(body)', message: err.code }],
    });
  if (err.code === 'ECONNRESET' || err.code === 'ERR_STREAM_PREMATURE_CLOSE')
    return new RfmError('INVALID_INPUT', 'request aborted by the client before the body was complete');
  return e instanceof Error
    ? new RfmError('INTERNAL', 'internal error', { cause: e })
    : new RfmError('INTERNAL', 'internal error');
}

/**
 * Gathers the stringifier's one-chunk-per-row output into writes of up to 64 kB, flushed at least
 * once per event-loop turn, so a 10,000-row answer costs a few socket writes instead of 10,000
 * while rows still go out as they are scored.
 */
function batcher(max = 64 * 1024): Transform {
  let parts: Buffer[] = [];
  let size = 0;
  let scheduled = false;
  const flush = () => {
    if (size === 0) return;
    t.push(parts.length === 1 ? parts[0] : Buffer.concat(parts, size));
    parts = [];
    size = 0;
  };
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      parts.push(chunk);
      size += chunk.length;
      if (size >= max) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          flush();
        });
      }
      cb();
    },
    flush(cb: TransformCallback) {
      flush();
      cb();
    },
  });
  return t;
}

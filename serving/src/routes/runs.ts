import type { Readable } from 'node:stream';
import { Router, type Request, type Response } from 'express';
import multer from 'multer';
import { z } from 'zod';
import { newRunId, PRODUCTION, type RunJob, type RunRecord } from '@rfm/registry';
import {
  customerHistory,
  customersCsv,
  diffRuns,
  labelsFromSummary,
  loadSavedRun,
  OUTLIER_UNKNOWN,
  OUTLIER_YES,
  rowsForRun,
  selectClusters,
  type CustomerRows,
} from '@rfm/runs';
import { EXPORT_ROLES, isRfmError, parseOrThrow, RfmError, RUN_ID_PATTERN, type Config } from '@rfm/shared';
import type { RegistryWriter } from '../registry-writer.js';
import { requireRunsAccess } from '../middleware/runs-auth.js';
import { AliasParam, NameParam, VersionParam } from './admin.js';
import type { RunIdentity } from '../runs/identity.js';
import type { RunQueue } from '../runs/run-queue.js';
import { isTrainJob } from '../runs/train-job.js';
import {
  createRunFolder,
  receiveUpload,
  removeKeptUpload,
  removeRunFolder,
  RUN_UPLOAD_MAX_BYTES,
} from '../runs/run-files.js';
import { UploadSlots } from '../upload-slots.js';

/** Runs waiting per serve instance before POST answers 503 (each holds its upload on disk). */
export const MAX_QUEUED_RUNS = 8;
export const RUNS_RETRY_AFTER_S = 10;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const Bool = z
  .enum(['true', 'false', '1', '0'], { error: 'save must be true or false' })
  .transform((v) => v === 'true' || v === '1');

/** columns=customer=Customer ID,date=Order Date: each role of the export mapped to a column name */
export const ColumnsParam = z
  .string()
  .max(1000)
  .transform((spec, ctx) => {
    const out: Record<string, string> = {};
    for (const part of spec.split(',')) {
      const eq = part.indexOf('=');
      const role = part.slice(0, eq).trim();
      const name = part.slice(eq + 1).trim();
      if (eq < 1 || !name || !(EXPORT_ROLES as readonly string[]).includes(role)) {
        ctx.addIssue({
          code: 'custom',
          message: `expected ROLE=COLUMN pairs, roles ${EXPORT_ROLES.join(', ')}; got "${part.slice(0, 60)}"`,
        });
        return z.NEVER;
      }
      out[role] = name;
    }
    return out;
  });

export const StartRunQuery = z.strictObject({
  model: NameParam.optional(),
  version: VersionParam.optional(),
  alias: AliasParam.optional(),
  as_of: z.string().regex(DATE, { error: 'as_of must be a date YYYY-MM-DD' }).optional(),
  columns: ColumnsParam.optional(),
  date_format: z.string().min(2).max(64, { error: 'date_format: a strptime format such as %d/%m/%Y %H:%M' }).optional(),
  save: Bool.optional(),
});
export const RunIdParam = z.string().regex(RUN_ID_PATTERN, { error: 'run id: r-YYYYMMDD-hex' });
export const CustomersQuery = z.strictObject({ segment: z.string().min(1).max(64).optional() });
export const DiffQuery = z.strictObject({ against: RunIdParam.optional() });

const RAW_TYPES = [
  'text/csv',
  'application/gzip',
  'application/x-gzip',
  'application/vnd.apache.parquet',
  'application/octet-stream',
];

export interface RunsDeps {
  writer: RegistryWriter;
  config: Config;
  queue: RunQueue;
  identity: RunIdentity;
  base: string;
  maxUploadBytes?: number;
  /** whether this server can train a new version from a run page (it was given the `rfm train` command) */
  canTrain?: boolean;
}

/** The JSON shape of a run job, as GET /api/v1/runs/:id and the list answer it. */
function jobJson(j: RunJob): Record<string, unknown> {
  const result = (j.result ?? null) as { saved?: boolean; facts?: unknown; summary?: unknown } | null;
  return {
    id: j.id,
    model: j.model,
    version: j.version,
    state: j.state,
    phase: j.phase,
    rows_read: j.rowsRead,
    percent: j.percent,
    save: j.save,
    saved: result?.saved ?? false,
    created_by: j.createdBy,
    created_at: j.createdAt,
    updated_at: j.updatedAt,
    cancel_requested: j.cancelRequested,
    error: j.errorCode ? { code: j.errorCode, message: j.error } : j.error ? { code: null, message: j.error } : null,
    ...(result?.facts ? { facts: result.facts } : {}),
    ...(result?.summary ? { summary: result.summary } : {}),
  };
}

/** A run saved without a server job (`rfm score --save`), in the same shape. */
function savedJson(r: RunRecord): Record<string, unknown> {
  return {
    id: r.id,
    model: r.modelName,
    version: r.version,
    state: 'succeeded',
    phase: 'done',
    rows_read: r.rowsRead,
    percent: 100,
    save: true,
    saved: true,
    created_by: r.createdBy,
    created_at: r.createdAt,
    updated_at: r.createdAt,
    cancel_requested: false,
    error: null,
    facts: r.facts,
    summary: r.summary,
  };
}

/**
 * Scoring runs over HTTP (issue 11): POST an export, get 202 and a run id; the run executes in
 * the background (run-queue.ts) while GET reports its progress; a saved run's customers stream
 * as CSV or JSON lines, and two runs' migration is one GET. Customer-level data: every route
 * needs a token (middleware/runs-auth.ts), and nothing here logs a customer.
 */
export function runsRoutes(d: RunsDeps): Router {
  const r = Router();
  const read = requireRunsAccess(d.config, 'read');
  const write = requireRunsAccess(d.config, 'write');
  const slots = new UploadSlots(2, RUNS_RETRY_AFTER_S);
  const maxBytes = d.maxUploadBytes ?? RUN_UPLOAD_MAX_BYTES;
  const param = <S extends z.ZodType>(s: S, v: unknown, what: string): z.output<S> => parseOrThrow(s, v, what, what);

  r.post('/runs', write, async (req, res) => {
    const release = slots.tryAcquire();
    if (!release) {
      res.set('retry-after', String(RUNS_RETRY_AFTER_S));
      throw new RfmError(
        'MODEL_UNAVAILABLE',
        `two exports are being uploaded to this server; retry in ${RUNS_RETRY_AFTER_S} s`,
      );
    }
    const id = newRunId();
    let dir: string | null = null;
    try {
      const type = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      const multipart = type === 'multipart/form-data';
      if (!multipart && !RAW_TYPES.includes(type))
        throw new RfmError(
          'UNSUPPORTED',
          'POST /api/v1/runs takes the export as the body (text/csv, application/gzip, application/vnd.apache.parquet, ' +
            `application/octet-stream) or as multipart/form-data with a "file" field; got ${type || 'no content-type'}`,
        );
      const declared = Number(req.get('content-length') ?? Number.NaN);
      if (declared > maxBytes + 64 * 1024) {
        res.set('connection', 'close'); // refused before reading: do not read gigabytes to reuse the connection
        throw new RfmError(
          'PAYLOAD_TOO_LARGE',
          `export too large: runs accept at most ${maxBytes.toLocaleString('en-US')} bytes`,
          {
            details: { limit: maxBytes },
          },
        );
      }
      const reg = await d.writer.get();
      const waiting = await reg.queuedRunJobs(d.identity.group);
      if (waiting >= MAX_QUEUED_RUNS) {
        res.set('retry-after', String(RUNS_RETRY_AFTER_S));
        throw new RfmError('MODEL_UNAVAILABLE', `${waiting} runs are already queued on this server; retry later`);
      }
      dir = createRunFolder(d.base, d.identity.groupPid, id);
      const folder = dir;
      let exportName = 'upload';
      let fields: Record<string, unknown> = {};
      if (multipart) {
        const got = await receiveMultipart(req, res, folder, maxBytes);
        exportName = got.name;
        fields = got.fields;
      } else {
        await receiveUpload(folder, req as Readable, maxBytes);
      }
      const q = parseOrThrow(StartRunQuery, { ...req.query, ...fields }, 'run options');
      if (q.version !== undefined && q.alias !== undefined)
        throw new RfmError('INVALID_INPUT', 'give version or alias, not both', {
          issues: [{ path: 'alias', message: 'both version and alias given' }],
        });
      const model = q.model ?? d.config.modelName;
      const reader = await d.writer.reader();
      let version = q.version;
      if (version === undefined) {
        const alias = q.alias ?? PRODUCTION;
        const v = await reader.resolveAlias(model, alias);
        if (v === null) throw new RfmError('NOT_FOUND', `model "${model}" has no alias "${alias}"`);
        version = v;
      } else await reader.get(model, version); // NOT_FOUND naming the version
      const read = {
        ...(q.columns ? { columns: q.columns } : {}),
        ...(q.date_format ? { dateFormat: q.date_format } : {}),
        ...(q.as_of ? { asOf: q.as_of } : {}),
      };
      const job = await reg.createRunJob({
        id,
        model,
        version,
        alias: q.alias ?? null,
        createdBy: `api:${req.ip ?? 'unknown'}`,
        serverId: d.identity.serverId,
        save: q.save ?? true,
        options: { read, exportName },
      });
      dir = null; // the queue owns the folder now
      d.queue.kick();
      res
        .status(202)
        .location(`/api/v1/runs/${id}`)
        .json({ id, state: job.state, model, version, save: job.save, location: `/api/v1/runs/${id}` });
    } finally {
      release();
      if (dir) removeRunFolder(dir);
    }
  });

  r.get('/runs', read, async (req, res) => {
    const model = req.query.model === undefined ? undefined : param(NameParam, req.query.model, 'model');
    const reg = await d.writer.reader();
    // training jobs started from a run page share the job table but are not scoring runs
    const jobs = (await reg.listRunJobs(model ? { model } : {})).filter((j) => !isTrainJob(j.options));
    const ids = new Set(jobs.map((j) => j.id));
    const saved = (await reg.listRuns(model ? { model } : {})).filter((s) => !ids.has(s.id));
    const runs = [...jobs.map(jobJson), ...saved.map(savedJson)].map(({ summary: _s, facts: _f, ...rest }) => rest);
    runs.sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
    res.set('cache-control', 'no-store').json({ runs });
  });

  const runJson = async (id: string): Promise<Record<string, unknown>> => {
    const reg = await d.writer.reader();
    try {
      return jobJson(await reg.getRunJob(id));
    } catch (e) {
      if (!isRfmError(e) || e.code !== 'NOT_FOUND') throw e;
    }
    try {
      return savedJson(await reg.getRun(id));
    } catch (e) {
      if (isRfmError(e) && e.code === 'NOT_FOUND')
        throw new RfmError('NOT_FOUND', `no run "${id}"`, { details: { run: id } });
      throw e;
    }
  };

  r.get('/runs/:id', read, async (req, res) => {
    res.set('cache-control', 'no-store').json(await runJson(param(RunIdParam, req.params.id, 'id')));
  });

  /** A saved run as the writers take it, with its customers' history from the model's earlier saved runs. */
  const savedRows = async (id: string): Promise<CustomerRows> => {
    const reg = await d.writer.reader();
    const run = await runJson(id);
    if (run.state !== 'succeeded' || run.saved !== true)
      throw new RfmError(
        'CONFLICT',
        run.state === 'succeeded'
          ? `run ${id} was not saved (save=false): its customers were not kept`
          : `run ${id} is ${run.state}; customers are there once it has succeeded and been saved`,
        { details: { run: id, state: run.state } },
      );
    const s = await loadSavedRun(reg, id);
    const earlier = [];
    for (const o of await reg.listRuns({ model: s.run.modelName }))
      if (o.id !== id && o.snapshotDate < s.run.snapshotDate) earlier.push(await loadSavedRun(reg, o.id));
    const history = customerHistory(
      { customers: s.customers, labels: labelsFromSummary(s.run.summary), snapshotDate: s.run.snapshotDate },
      earlier,
    );
    return rowsForRun(s, history);
  };

  r.get('/runs/:id/customers', read, async (req, res) => {
    const id = param(RunIdParam, req.params.id, 'id');
    const q = parseOrThrow(CustomersQuery, req.query, 'query');
    const rows = await savedRows(id);
    const ndjson = req.accepts(['text/csv', 'application/x-ndjson']) === 'application/x-ndjson';
    const chunks = ndjson
      ? customersNdjson(rows, q.segment)
      : customersCsv(rows, q.segment ? { segment: q.segment } : {});
    const first = chunks.next(); // an unknown segment fails here, before any byte is sent
    res.status(200).set('cache-control', 'no-store');
    res.type(ndjson ? 'application/x-ndjson' : 'text/csv; charset=utf-8');
    if (!ndjson) res.set('content-disposition', `attachment; filename="${id}-customers.csv"`);
    await streamChunks(res, first, chunks);
  });

  r.get('/runs/:id/diff', read, async (req, res) => {
    const id = param(RunIdParam, req.params.id, 'id');
    const q = parseOrThrow(DiffQuery, req.query, 'query');
    const reg = await d.writer.reader();
    await savedRows(id); // 404 / 409 naming the run when it has no saved customers
    const b = await loadSavedRun(reg, id);
    let against = q.against;
    if (against === undefined) {
      const older = (await reg.listRuns({ model: b.run.modelName })).filter(
        (o) => o.id !== id && o.createdAt <= b.run.createdAt,
      );
      if (!older.length)
        throw new RfmError(
          'NOT_FOUND',
          `run ${id} has no earlier saved run of model "${b.run.modelName}" to compare with; give ?against=ID`,
        );
      against = older[0]!.id;
    } else await savedRows(against);
    const a = await loadSavedRun(reg, against);
    res.set('cache-control', 'no-store').json(diffRuns(a, b));
  });

  r.delete('/runs/:id', write, async (req, res) => {
    const id = param(RunIdParam, req.params.id, 'id');
    const reg = await d.writer.get();
    let job: RunJob | null = null;
    try {
      job = await reg.getRunJob(id);
    } catch (e) {
      if (!isRfmError(e) || e.code !== 'NOT_FOUND') throw e;
    }
    if (job && (job.state === 'queued' || job.state === 'running')) {
      const after = await reg.requestRunCancel(id);
      d.queue.kick();
      res.status(202).json({ id, state: after.state, cancel_requested: after.cancelRequested });
      return;
    }
    try {
      await reg.deleteRun(id, `api:${req.ip ?? 'unknown'}`);
    } catch (e) {
      if (isRfmError(e) && e.code === 'NOT_FOUND')
        throw job
          ? new RfmError('CONFLICT', `run ${id} is ${job.state} and was not saved: nothing to delete`)
          : new RfmError('NOT_FOUND', `no run "${id}"`, { details: { run: id } });
      throw e;
    }
    removeKeptUpload(d.base, id); // a deleted run's customers are not kept for retraining either
    res.json({ id, deleted: true });
  });

  return r;
}

/** The customers as JSON lines (the CSV's columns as fields; numbers as numbers, outlier true/false/null). */
function* customersNdjson(rows: CustomerRows, segment: string | undefined): Generator<string> {
  const c = rows.customers;
  const only = selectClusters(rows, segment);
  const h = rows.history ?? null;
  let out = '';
  let n = 0;
  for (let i = 0; i < c.cid.length; i++) {
    const cl = c.cluster[i]!;
    if (only && !only.has(cl)) continue;
    const o = c.outlier[i]!;
    out += `${JSON.stringify({
      cid: c.cid[i],
      recency: c.recency[i],
      frequency: c.frequency[i],
      monetary: c.monetary[i],
      r_score: c.rScore[i],
      f_score: c.fScore[i],
      m_score: c.mScore[i],
      cluster: cl,
      segment: rows.segmentNames[cl],
      distance: Number(c.distance[i]!.toFixed(6)),
      outlier: o === OUTLIER_UNKNOWN ? null : o === OUTLIER_YES,
      previous_segment: h?.previousSegment[i] ?? null,
      segment_since: h?.segmentSince[i] ?? null,
    })}\n`;
    if (++n >= 2048) {
      yield out;
      out = '';
      n = 0;
    }
  }
  yield out;
}

export async function streamChunks(
  res: Response,
  first: IteratorResult<string>,
  rest: Generator<string>,
): Promise<void> {
  let cur = first;
  while (!cur.done) {
    if (!res.write(cur.value)) await new Promise<void>((ok) => res.once('drain', ok));
    if (res.destroyed) return;
    cur = rest.next();
  }
  res.end();
}

/** multipart/form-data: the "file" part streamed into the run folder under a fixed name; text fields as options. */
export function receiveMultipart(
  req: Request,
  res: Response,
  dir: string,
  maxBytes: number,
): Promise<{ name: string; fields: Record<string, unknown> }> {
  let name = 'upload';
  let got = false;
  const storage: multer.StorageEngine = {
    _handleFile(_req, file, cb) {
      // the client's file name is a label in the run's facts only, reduced to safe characters
      name = (file.originalname || 'upload').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || 'upload';
      receiveUpload(dir, file.stream, maxBytes).then(
        (r) => {
          got = true;
          cb(null, { size: r.bytes });
        },
        (e: unknown) => cb(e as Error),
      );
    },
    _removeFile(_req, _file, cb) {
      cb(null);
    },
  };
  const upload = multer({ storage, limits: { files: 1, fields: 10, fieldSize: 2000, parts: 11 } }).single('file');
  return new Promise((resolve, reject) => {
    upload(req, res, (e: unknown) => {
      if (e) {
        const err = e as { code?: string; message?: string };
        if (isRfmError(e)) return reject(e);
        return reject(new RfmError('INVALID_INPUT', `multipart upload: ${err.message ?? 'malformed'}`, { cause: e }));
      }
      if (!got) return reject(new RfmError('INVALID_INPUT', 'multipart upload: send the export in a "file" field'));
      resolve({ name, fields: { ...(req.body ?? {}) } as Record<string, unknown> });
    });
  });
}

import type { Readable } from 'node:stream';
import { Router, type Request, type Response } from 'express';
import multer from 'multer';
import { z } from 'zod';
import { newRunId, PRODUCTION, type RunJob, type RunRecord } from '@rfm/registry';
import { ALL_CUSTOMERS, CONSENTED_ONLY, type ListOptions } from '@rfm/runs';
import {
  CUSTOMER_ATTRIBUTES,
  EXPORT_ROLES,
  isRfmError,
  parseOrThrow,
  RfmError,
  RUN_ID_PATTERN,
  type Config,
} from '@rfm/shared';
import type { RegistryWriter } from '../registry-writer.js';
import { requireRunsAccess } from '../middleware/runs-auth.js';
import { apiActor } from '../middleware/people.js';
import { AliasParam, NameParam, VersionParam } from './admin.js';
import type { RunIdentity } from '../runs/identity.js';
import type { RunQueue } from '../runs/run-queue.js';
import { RunsReader } from '../runs/runs-reader.js';
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

/** attributes=email=Mail,consent=OK to mail (or none): the export's customer attribute columns */
export const AttributesParam = z
  .string()
  .max(1000)
  .transform((spec, ctx) => {
    if (spec.trim().toLowerCase() === 'none') return 'none' as const;
    const out: Record<string, string> = {};
    for (const part of spec.split(',')) {
      if (part.trim() === '') continue;
      const eq = part.indexOf('=');
      const key = part.slice(0, eq).trim();
      const name = part.slice(eq + 1).trim();
      if (eq < 1 || !name || !(CUSTOMER_ATTRIBUTES as readonly string[]).includes(key)) {
        ctx.addIssue({
          code: 'custom',
          message: `expected ATTRIBUTE=COLUMN pairs, attributes ${CUSTOMER_ATTRIBUTES.join(', ')}, or none; got "${part.slice(0, 60)}"`,
        });
        return z.NEVER;
      }
      out[key] = name;
    }
    return out;
  });

export const StartRunQuery = z.strictObject({
  model: NameParam.optional(),
  version: VersionParam.optional(),
  alias: AliasParam.optional(),
  as_of: z.string().regex(DATE, { error: 'as_of must be a date YYYY-MM-DD' }).optional(),
  columns: ColumnsParam.optional(),
  attributes: AttributesParam.optional(),
  date_format: z.string().min(2).max(64, { error: 'date_format: a strptime format such as %d/%m/%Y %H:%M' }).optional(),
  save: Bool.optional(),
});
export const RunIdParam = z.string().regex(RUN_ID_PATTERN, { error: 'run id: r-YYYYMMDD-hex' });
/** include_unconsented=true: lists also hold customers without marketing consent (default: left out) */
export const IncludeUnconsented = z
  .enum(['true', 'false', '1', '0'], { error: 'include_unconsented must be true or false' })
  .transform((v) => v === 'true' || v === '1');
export const CustomersQuery = z.strictObject({
  segment: z.string().min(1).max(64).optional(),
  include_unconsented: IncludeUnconsented.optional(),
});
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
  /** saved-run downloads off the event loop (default: a reader of config.registry, never closed) */
  reader?: RunsReader;
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
    ...driftJson(r),
  };
}

/** A saved run's drift against its version's training customers (null: not measured). */
function driftJson(r: RunRecord): { retrain_advised: boolean | null; drift: RunRecord['drift'] } {
  return { retrain_advised: r.drift?.retrainAdvised ?? null, drift: r.drift };
}

/**
 * Scoring runs over HTTP (issue 11): POST an export, get 202 and a run id; the run executes in
 * the background (run-queue.ts) while GET reports its progress; a saved run's customers stream
 * as CSV or JSON lines, and two runs' migration is one GET. Customer-level data: every route
 * needs a named person's token (middleware/runs-auth.ts): a viewer reads and starts runs, an admin
 * also cancels and deletes them; nothing here logs a customer.
 */
export function runsRoutes(d: RunsDeps): Router {
  const r = Router();
  const read = requireRunsAccess(d.config, 'read');
  const score = requireRunsAccess(d.config, 'score');
  const write = requireRunsAccess(d.config, 'write');
  const slots = new UploadSlots(2, RUNS_RETRY_AFTER_S);
  const maxBytes = d.maxUploadBytes ?? RUN_UPLOAD_MAX_BYTES;
  const param = <S extends z.ZodType>(s: S, v: unknown, what: string): z.output<S> => parseOrThrow(s, v, what, what);

  r.post('/runs', score, async (req, res) => {
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
        ...(q.attributes ? { attributes: q.attributes } : {}),
        ...(q.date_format ? { dateFormat: q.date_format } : {}),
        ...(q.as_of ? { asOf: q.as_of } : {}),
      };
      const job = await reg.createRunJob({
        id,
        model,
        version,
        alias: q.alias ?? null,
        createdBy: apiActor(res),
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
    const runs = [...jobs.map(jobJson), ...saved.map(savedJson)].map(
      ({ summary: _s, facts: _f, drift: _d, retrain_advised: _r, ...rest }) => rest,
    );
    runs.sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
    res.set('cache-control', 'no-store').json({ runs });
  });

  const runJson = async (id: string): Promise<Record<string, unknown>> => {
    const reg = await d.writer.reader();
    let job: Record<string, unknown> | null = null;
    try {
      job = jobJson(await reg.getRunJob(id));
    } catch (e) {
      if (!isRfmError(e) || e.code !== 'NOT_FOUND') throw e;
    }
    if (job) {
      // a server run that was saved: its drift is on the saved run (gone if the run was deleted since)
      if (job.saved === true) {
        const saved = await reg.getRun(id).catch((e: unknown) => {
          if (isRfmError(e) && e.code === 'NOT_FOUND') return null;
          throw e;
        });
        if (saved) Object.assign(job, driftJson(saved));
      }
      return job;
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

  const reader = d.reader ?? new RunsReader(d.config.registry);

  /** NOT_FOUND / CONFLICT naming the run unless its customers were saved (a cheap read; the decoding is the worker's). */
  const mustBeSaved = async (id: string): Promise<void> => {
    const run = await runJson(id);
    if (run.state !== 'succeeded' || run.saved !== true)
      throw new RfmError(
        'CONFLICT',
        run.state === 'succeeded'
          ? `run ${id} was not saved (save=false): its customers were not kept`
          : `run ${id} is ${run.state}; customers are there once it has succeeded and been saved`,
        { details: { run: id, state: run.state } },
      );
  };

  r.get('/runs/:id/customers', read, async (req, res) => {
    const id = param(RunIdParam, req.params.id, 'id');
    const q = parseOrThrow(CustomersQuery, req.query, 'query');
    await mustBeSaved(id);
    const list: ListOptions = {
      ...(q.segment ? { segment: q.segment } : {}),
      includeUnconsented: q.include_unconsented === true,
    };
    // whether the list leaves out people without consent: the run's facts say if it has consent data
    const consent = (await (await d.writer.reader()).getRun(id)).facts.attributes?.consent;
    const filtered = consent != null && !list.includeUnconsented;
    const ndjson = req.accepts(['text/csv', 'application/x-ndjson']) === 'application/x-ndjson';
    // decoded and written out in the runs worker; an unknown segment fails before any byte is sent
    const chunks = await reader.customers(id, ndjson ? 'ndjson' : 'csv', list);
    res.status(200).set('cache-control', 'no-store');
    res.type(ndjson ? 'application/x-ndjson' : 'text/csv; charset=utf-8');
    // which list this is, for clients that read headers (the rows say it too, in consent_filter)
    if (consent != null) res.set('x-rfm-list', filtered ? CONSENTED_ONLY : ALL_CUSTOMERS);
    const suffix = consent == null ? '' : filtered ? '-consented' : '-incl-unconsented';
    if (!ndjson) res.set('content-disposition', `attachment; filename="${id}-customers${suffix}.csv"`);
    await streamAsyncChunks(res, chunks);
  });

  r.get('/runs/:id/diff', read, async (req, res) => {
    const id = param(RunIdParam, req.params.id, 'id');
    const q = parseOrThrow(DiffQuery, req.query, 'query');
    const reg = await d.writer.reader();
    await mustBeSaved(id); // 404 / 409 naming the run when it has no saved customers
    const b = await reg.getRun(id);
    let against = q.against;
    if (against === undefined) {
      const older = (await reg.listRuns({ model: b.modelName })).filter(
        (o) => o.id !== id && o.createdAt <= b.createdAt,
      );
      if (!older.length)
        throw new RfmError(
          'NOT_FOUND',
          `run ${id} has no earlier saved run of model "${b.modelName}" to compare with; give ?against=ID`,
        );
      against = older[0]!.id;
    } else await mustBeSaved(against);
    // both runs decoded and compared in the runs worker; the answer comes back as JSON text
    res
      .set('cache-control', 'no-store')
      .type('application/json')
      .send(await reader.diff(id, against));
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
      await reg.deleteRun(id, apiActor(res));
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

/** Write chunks from the runs worker as the socket takes them (each is pulled only after the last was written). */
async function streamAsyncChunks(res: Response, chunks: AsyncGenerator<string>): Promise<void> {
  try {
    for await (const chunk of chunks) {
      // (a client that hangs up never drains: 'close' ends the wait too)
      if (!res.write(chunk))
        await new Promise<void>((ok) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            ok();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      if (res.destroyed) return; // the generator's finally tells the worker to drop the rest
    }
    res.end();
  } finally {
    await chunks.return(undefined);
  }
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

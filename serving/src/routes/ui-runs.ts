import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { newRunId, PRODUCTION, type Registry, type RunJob } from '@rfm/registry';
import {
  customerHistory,
  customersCsv,
  diffRuns,
  earlierRuns,
  labelsFromSummary,
  loadSavedRun,
  listSuffix,
  rowsForRun,
  selectCustomers,
  transitionCustomers,
  type CustomerRows,
  type ListOptions,
  type SavedRunWithCustomers,
} from '@rfm/runs';
import { colorOf, flowChart, segmentSharesChart } from '@rfm/charts';
import {
  CUSTOMER_ATTRIBUTES,
  EXPORT_ROLES,
  isRfmError,
  parseOrThrow,
  RfmError,
  SEGMENT_CATALOGUE,
  type Config,
  type ExportRole,
} from '@rfm/shared';
import type { RegistryWriter } from '../registry-writer.js';
import { logRefusal } from '../middleware/people.js';
import { mayCancel, sameOrigin, type AdminSession, type SessionKeeper } from '../ui/session.js';
import type { AdminView } from '../views/models-page.js';
import {
  renderMappingPage,
  renderRunPage,
  renderRunsList,
  renderRunStatus,
  renderUploadPage,
  movementFlows,
  runHref,
} from '../views/runs-page.js';
import { isTrainJob, TRAIN_K_MAX, TrainJobResult, type TrainJobOptions } from '../runs/train-job.js';
import { compareHref } from '../views/models-page.js';
import {
  createRunFolder,
  keptUpload,
  readFileHead,
  removeRunFolder,
  RUN_UPLOAD_MAX_BYTES,
  runFolderOf,
} from '../runs/run-files.js';
import { guessAttributes, guessMapping, mappingProblems, previewExport, recognised } from '../runs/column-guess.js';
import {
  IncludeUnconsented,
  MAX_QUEUED_RUNS,
  receiveMultipart,
  RunIdParam,
  StartRunQuery,
  streamChunks,
  type RunsDeps,
} from './runs.js';

/**
 * The marketer's pages over scoring runs (issue 12): list, upload, progress, one run's results and
 * its customer lists as CSV. Customer-level data, so every route needs a signed-in person (a viewer
 * is enough: scoring exports and downloading lists is what the role is for); anyone else is sent to
 * sign in before anything is read. Cancelling takes the admin role, or being the person who started
 * the run. Runs start through the same job table and queue as POST /api/v1/runs.
 */
export interface UiRunsDeps {
  writer: RegistryWriter;
  session: SessionKeeper;
  config: Config;
  runs: Omit<RunsDeps, 'writer' | 'config'>;
}

const UploadFields = z.object({
  csrf: z.string().optional(),
  model: z.string().optional(),
  version: z.string().optional(),
});
const RetrainFields = z.object({
  csrf: z.string().optional(),
  k: z.union([z.literal('auto'), z.coerce.number().int().min(2).max(TRAIN_K_MAX)], {
    error: `k must be auto or a whole number from 2 to ${TRAIN_K_MAX}`,
  }),
});
const MovedQuery = z.strictObject({
  against: RunIdParam,
  include_unconsented: IncludeUnconsented.optional(),
  from: z.enum(SEGMENT_CATALOGUE.map((s) => s.key) as [string, ...string[]]),
  to: z.enum(SEGMENT_CATALOGUE.map((s) => s.key) as [string, ...string[]]),
});

/** Magic numbers of files people upload by mistake (images, PDFs, spreadsheets): not an export. */
const NOT_EXPORTS: [Buffer, string][] = [
  [Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'a PNG image'],
  [Buffer.from([0xff, 0xd8, 0xff]), 'a JPEG image'],
  [Buffer.from('GIF8'), 'a GIF image'],
  [Buffer.from('%PDF'), 'a PDF document'],
  [Buffer.from([0x50, 0x4b, 0x03, 0x04]), 'a zip file or Excel workbook (export it as CSV)'],
];

/** Why a plain-text upload cannot be a transaction export, or null when it may be one (the run checks the columns). */
export function notAnExport(head: Buffer): string | null {
  for (const [magic, what] of NOT_EXPORTS)
    if (head.subarray(0, magic.length).equals(magic)) return `this file is ${what}, not a transaction export`;
  if (head.includes(0)) return 'this file is not text: upload the export as CSV, CSV.gz or Parquet';
  const firstLine = head.toString('utf8').split(/\r?\n/, 1)[0] ?? '';
  if (!/[,;\t|]/.test(firstLine))
    return 'the first line has no column separator: a transaction export has a header such as Invoice,StockCode,Quantity,InvoiceDate,Price,Customer ID';
  return null;
}

/**
 * A file named as compressed or Parquet whose bytes say otherwise (a CSV renamed, a download cut
 * short): refused at once rather than failing deep in the read. The same words as rfm.js's check,
 * which says it in the browser before the upload.
 */
export function misnamedExport(name: string, format: string): string | null {
  const lower = name.toLowerCase();
  if (lower.endsWith('.parquet') && format !== 'parquet')
    return 'This file is named .parquet but is not a Parquet file (it does not start with PAR1): export it again, as Parquet or CSV.';
  if (lower.endsWith('.gz') && format !== 'csv.gz')
    return 'This file is named .gz but is not gzip-compressed: upload the plain CSV, or compress it again.';
  return null;
}

function uploadedHead(dir: string): { format: string; head: Buffer } {
  const name = readdirSync(dir).find((f) => f.startsWith('export.')) ?? '';
  return { format: name.slice('export.'.length), head: readFileHead(join(dir, name), 4096) };
}

/** `include_unconsented=true`: the lists also hold customers without marketing consent (default: left out). */
const includeUnconsented = (v: unknown): boolean =>
  v === undefined ? false : parseOrThrow(IncludeUnconsented, v, 'include_unconsented', 'include_unconsented');

export function uiRunsRoutes(d: UiRunsDeps): Router {
  const router = Router();
  const rd = (): Promise<Registry> => d.writer.reader();
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 5 });
  const maxBytes = d.runs.maxUploadBytes ?? RUN_UPLOAD_MAX_BYTES;
  const html = (res: Response, status = 200) => res.status(status).type('html').set('cache-control', 'no-store');
  const view = (s: AdminSession): AdminView => ({ actor: s.actor, role: s.role, csrf: s.csrf });
  const keepMs = d.config.runUploadKeepHours * 3_600_000;

  /** The signed-in session, or a redirect to sign in that returns here (null: answered). */
  function signedIn(req: Request, res: Response): AdminSession | null {
    const s = d.session.read(req);
    if (s) return s;
    const back = req.method === 'GET' ? req.originalUrl : '/runs/new';
    const next = /^\/runs[A-Za-z0-9/_.%-]*$/.test(back.split('?')[0]!) ? back.split('?')[0]! : '/runs';
    res.set('cache-control', 'no-store');
    if (req.method !== 'GET') {
      // the upload is refused unread: its bytes are discarded, never stored. Closing the socket
      // under a browser still sending made it show a connection reset instead of following the
      // redirect, so a body of allowed size is drained; a larger one is cut off.
      const declared = Number(req.headers['content-length'] ?? Number.NaN);
      if (declared <= RUN_UPLOAD_MAX_BYTES) req.resume();
      else res.set('connection', 'close');
    }
    res.redirect(303, `/admin?next=${encodeURIComponent(next)}`);
    return null;
  }

  function checkForm(req: Request, s: AdminSession, csrf: unknown): void {
    if (!sameOrigin(req) || !d.session.csrfOk(s, csrf))
      throw new RfmError(
        'FORBIDDEN',
        'this form did not come from this site or has expired; reload the page and try again',
      );
  }

  const runId = (req: Request) => parseOrThrow(RunIdParam, req.params.id, 'run id', 'id');

  /** The job behind a run id, if the server ran it (runs saved by `rfm score --save` have none). */
  async function jobOf(reg: Registry, id: string): Promise<RunJob | null> {
    try {
      return await reg.getRunJob(id);
    } catch (e) {
      if (isRfmError(e) && e.code === 'NOT_FOUND') return null;
      throw e;
    }
  }

  async function savedOrNull(reg: Registry, id: string) {
    try {
      return await reg.getRun(id);
    } catch (e) {
      if (isRfmError(e) && e.code === 'NOT_FOUND') return null;
      throw e;
    }
  }

  async function uploadPage(
    res: Response,
    s: AdminSession,
    status = 200,
    extra: Partial<Parameters<typeof renderUploadPage>[0]> = {},
  ) {
    const reg = await rd();
    const models = [];
    for (const m of await reg.models())
      models.push({
        name: m.name,
        versions: (await reg.list(m.name)).map((v) => v.version),
        production: m.aliases[PRODUCTION] ?? null,
      });
    html(res, status).send(
      renderUploadPage({ admin: view(s), models, defaultModel: d.config.modelName, maxBytes, ...extra }),
    );
  }

  /** Resolve the version and queue the run (the same job table and queue as POST /api/v1/runs); a refusal to show, or null. */
  async function startJob(
    s: AdminSession,
    id: string,
    values: { model?: string; version?: string },
    exportName: string,
    columns?: Record<string, string>,
    attributes?: Record<string, string> | 'none',
  ): Promise<{ status: number; text: string } | null> {
    const reg = await d.writer.get();
    let q: z.output<typeof StartRunQuery>;
    try {
      q = parseOrThrow(StartRunQuery, values, 'run options');
    } catch (e) {
      if (!isRfmError(e)) throw e;
      return { status: 400, text: e.message };
    }
    const model = q.model ?? d.config.modelName;
    let version = q.version;
    try {
      if (version === undefined) {
        const v = await reg.resolveAlias(model, PRODUCTION);
        if (v === null)
          throw new RfmError('NOT_FOUND', `model "${model}" has no version in production: choose a version`);
        version = v;
      } else await reg.get(model, version);
    } catch (e) {
      if (!isRfmError(e) || e.code !== 'NOT_FOUND') throw e;
      return { status: 404, text: e.message };
    }
    await reg.createRunJob({
      id,
      model,
      version,
      alias: q.version === undefined ? PRODUCTION : null,
      createdBy: `web:${s.actor}`,
      serverId: d.runs.identity.serverId,
      save: true,
      options: { read: { ...(columns ? { columns } : {}), ...(attributes ? { attributes } : {}) }, exportName },
    });
    d.runs.queue.kick();
    return null;
  }

  router.get('/runs', async (req, res) => {
    const s = signedIn(req, res);
    if (!s) return;
    const reg = await rd();
    const saved = await reg.listRuns({});
    const savedIds = new Set(saved.map((r) => r.id));
    // train jobs are not runs: they end on a compare page
    const jobs = (await reg.listRunJobs({})).filter((j) => !savedIds.has(j.id) && !isTrainJob(j.options));
    html(res).send(renderRunsList({ admin: view(s), saved, jobs }));
  });

  router.get('/runs/new', async (req, res) => {
    const s = signedIn(req, res);
    if (!s) return;
    await uploadPage(res, s);
  });

  router.post('/runs/new', async (req, res) => {
    const s = signedIn(req, res);
    if (!s) return;
    const declared = Number(req.get('content-length') ?? Number.NaN);
    const refuse = (
      status: number,
      field: 'file' | 'model',
      text: string,
      values: { model?: string; version?: string } = {},
    ) => uploadPage(res, s, status, { error: { field, text }, values });
    if (declared > 4 * maxBytes) {
      res.set('connection', 'close');
      return refuse(413, 'file', `This file is too large: at most ${(maxBytes / 1024 ** 2).toFixed(0)} MB.`);
    }
    const reg = await d.writer.get();
    if ((await reg.queuedRunJobs(d.runs.identity.group)) >= MAX_QUEUED_RUNS)
      throw new RfmError('MODEL_UNAVAILABLE', 'several runs are already waiting on this server; try again in a minute');
    const id = newRunId();
    let dir: string | null = createRunFolder(d.runs.base, d.runs.identity.groupPid, id);
    let values: { model?: string; version?: string } = {};
    try {
      let got: { name: string; fields: Record<string, unknown> };
      try {
        got = await receiveMultipart(req, res, dir, maxBytes);
      } catch (e) {
        if (!isRfmError(e)) throw e;
        const text =
          e.code === 'PAYLOAD_TOO_LARGE'
            ? `This file is too large: at most ${(maxBytes / 1024 ** 2).toFixed(0)} MB.`
            : /empty/.test(e.message)
              ? 'This file is empty: choose the transaction export (CSV, CSV.gz or Parquet).'
              : e.message;
        return await refuse(e.httpStatus, 'file', text, (req.body ?? {}) as typeof values);
      }
      const f = parseOrThrow(UploadFields, got.fields, 'form');
      checkForm(req, s, f.csrf);
      values = { ...(f.model ? { model: f.model } : {}), ...(f.version ? { version: f.version } : {}) };
      const { format, head } = uploadedHead(dir);
      const misnamed = misnamedExport(got.name, format);
      if (misnamed) return await refuse(422, 'file', misnamed, values);
      const why = format === 'csv' ? notAnExport(head) : null;
      if (why) return await refuse(422, 'file', `${why[0]!.toUpperCase()}${why.slice(1)}.`, values);
      const preview = previewExport(join(dir, `export.${format}`), format);
      if (preview && !recognised(preview.columns)) {
        // unknown headers: keep the upload (its folder, named by the server) and ask which column is which
        const pending = dir;
        dir = null;
        try {
          const mapping = guessMapping(preview.columns, preview.samples);
          html(res).send(
            renderMappingPage({
              admin: view(s),
              runId: id,
              exportName: got.name,
              values,
              preview,
              mapping,
              attributes: guessAttributes(preview.columns, mapping),
            }),
          );
        } catch (e) {
          removeRunFolder(pending);
          throw e;
        }
        return;
      }
      const refused = await startJob(s, id, values, got.name);
      if (refused) return await refuse(refused.status, 'model', refused.text, values);
      dir = null; // the queue owns the folder now
      res.redirect(303, runHref(id));
    } finally {
      if (dir) removeRunFolder(dir);
    }
  });

  // the second step for an export with unknown headers: the person's mapping, then the run starts
  const mapForm = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 24 });
  const MapFields = z.object({
    csrf: z.string().optional(),
    run: RunIdParam,
    name: z.string().max(100).optional(),
    model: z.string().optional(),
    version: z.string().optional(),
    ...Object.fromEntries(EXPORT_ROLES.map((r) => [r, z.string().max(200).optional()])),
    ...Object.fromEntries(CUSTOMER_ATTRIBUTES.map((a) => [`attr_${a}`, z.string().max(200).optional()])),
  });
  router.post('/runs/new/columns', mapForm, async (req, res) => {
    const s = signedIn(req, res);
    if (!s) return;
    const f = parseOrThrow(MapFields, req.body ?? {}, 'form') as z.output<typeof MapFields> &
      Record<string, string | undefined>;
    checkForm(req, s, f.csrf);
    const dir = runFolderOf(d.runs.base, d.runs.identity.groupPid, f.run);
    const file = existsSync(dir) ? readdirSync(dir).find((x) => x.startsWith('export.')) : undefined;
    if (!file || (await jobOf(await rd(), f.run)))
      throw new RfmError(
        'NOT_FOUND',
        'this upload is no longer waiting for its columns (it was started or has expired): upload it again',
      );
    const preview = previewExport(join(dir, file), file.slice('export.'.length));
    const mapping: Partial<Record<ExportRole, string>> = {};
    for (const r of EXPORT_ROLES) if (f[r] && preview?.columns.includes(f[r])) mapping[r] = f[r];
    const values = { ...(f.model ? { model: f.model } : {}), ...(f.version ? { version: f.version } : {}) };
    const exportName = (f.name ?? 'upload').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || 'upload';
    // the person's choice is the whole answer: "— none —" ('') keeps that detail out, even under a known name
    const attributes: Record<string, string> = {};
    for (const a of CUSTOMER_ATTRIBUTES) {
      const c = f[`attr_${a}`];
      attributes[a] = c && preview?.columns.includes(c) ? c : '';
    }
    const problems = mappingProblems(mapping);
    const again = (status: number, errors: Partial<Record<ExportRole, string>>) =>
      html(res, status).send(
        renderMappingPage({
          admin: view(s),
          runId: f.run,
          exportName,
          values,
          preview: preview!,
          mapping,
          errors,
          attributes,
        }),
      );
    if (Object.keys(problems).length) return again(422, problems);
    const refused = await startJob(s, f.run, values, exportName, mapping as Record<string, string>, attributes);
    if (refused) return again(refused.status, { customer: refused.text });
    res.redirect(303, runHref(f.run));
  });

  router.get('/runs/:id', async (req, res) => {
    const s = signedIn(req, res);
    if (!s) return;
    const id = runId(req);
    const reg = await rd();
    const run = await savedOrNull(reg, id);
    if (!run) {
      const job = await jobOf(reg, id);
      if (!job) throw new RfmError('NOT_FOUND', `no run "${id}"`);
      // a finished train job lands on the comparison of its new version with the one the run used
      const trained = job.state === 'succeeded' ? TrainJobResult.safeParse(job.result) : null;
      if (trained?.success && job.version !== null) {
        res
          .set('cache-control', 'no-store')
          .redirect(303, compareHref(job.model, job.version, trained.data.trained.version));
        return;
      }
      html(res).send(renderRunStatus(view(s), job));
      return;
    }
    const prev = (await earlierRuns(reg, run.modelName, run, 1))[0] ?? null;
    const diff = prev ? diffRuns(prev, await loadSavedRun(reg, id)) : null;
    const include = includeUnconsented(req.query.include_unconsented);
    const kept = keptUpload(d.runs.base, id, keepMs);
    const retrain = {
      available: d.runs.canTrain === true,
      until: kept ? kept.until.toISOString() : null,
      keepHours: d.config.runUploadKeepHours,
      k: (await reg.get(run.modelName, run.version).catch(() => null))?.params.k ?? 4,
    };
    html(res).send(renderRunPage({ admin: view(s), run, diff, includeUnconsented: include, retrain }));
  });

  // what rfm.js polls for the progress bar: the same job state GET /api/v1/runs/:id gives, by session
  router.get('/runs/:id/progress.json', async (req, res) => {
    if (!d.session.read(req)) throw new RfmError('UNAUTHORIZED', 'sign in to follow this run');
    const id = runId(req);
    const reg = await rd();
    const job = await jobOf(reg, id);
    const saved = job ? null : await savedOrNull(reg, id);
    if (!job && !saved) throw new RfmError('NOT_FOUND', `no run "${id}"`);
    res
      .set('cache-control', 'no-store')
      .json(
        job
          ? { id, state: job.state, phase: job.phase, rows_read: job.rowsRead, percent: job.percent, error: job.error }
          : { id, state: 'succeeded', phase: 'done', rows_read: saved!.rowsRead, percent: 100, error: null },
      );
  });

  // train a new candidate version on this run's kept upload, read as the run read it. An admin
  // action, as promote is: a viewer gets 403 naming the role, nothing started.
  router.post('/runs/:id/retrain', form, async (req, res) => {
    const s = signedIn(req, res);
    if (!s) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    checkForm(req, s, body.csrf);
    if (s.role !== 'admin') {
      res.locals.person = { name: s.actor, role: s.role }; // a refusal by role, not a failed sign-in
      logRefusal(req, res, s.actor, { role: s.role, need: 'admin' });
      throw new RfmError('FORBIDDEN', `this needs the admin role; ${s.actor} is a ${s.role}: nothing was changed`, {
        details: { need: 'admin', role: s.role },
      });
    }
    const id = runId(req);
    if (!d.runs.canTrain)
      throw new RfmError(
        'FORBIDDEN',
        'training a new version is not available on this server (start it with rfm serve)',
      );
    const f = parseOrThrow(RetrainFields, body, 'form');
    const reg = await d.writer.get();
    const run = await reg.getRun(id); // NOT_FOUND: no such saved run
    if (!keptUpload(d.runs.base, id, keepMs))
      throw new RfmError(
        'NOT_FOUND',
        `the upload of run ${id} is no longer kept on this server (uploads are kept ${d.config.runUploadKeepHours} h): upload the export again to train on it`,
      );
    const read = ((await jobOf(reg, id))?.options.read ?? {}) as TrainJobOptions['read'];
    const options: TrainJobOptions = {
      kind: 'train',
      source: id,
      k: f.k,
      read: {
        ...(read.columns ? { columns: read.columns } : {}),
        ...(read.dateFormat ? { dateFormat: read.dateFormat } : {}),
        ...(read.asOf ? { asOf: read.asOf } : {}),
      },
    };
    const jobId = newRunId();
    await reg.createRunJob({
      id: jobId,
      model: run.modelName,
      version: run.version, // what the candidate is compared with when it is done
      alias: null,
      createdBy: `web:${s.actor}`,
      serverId: d.runs.identity.serverId,
      save: false,
      options,
    });
    d.runs.queue.kick();
    res.redirect(303, runHref(jobId));
  });

  router.post('/runs/:id/cancel', form, async (req, res) => {
    const s = signedIn(req, res);
    if (!s) return;
    checkForm(req, s, (req.body as Record<string, unknown> | undefined)?.csrf);
    const id = runId(req);
    const reg = await d.writer.get();
    const job = await jobOf(reg, id);
    if (!job) throw new RfmError('NOT_FOUND', `no running run "${id}"`);
    if (!mayCancel(s, job)) {
      res.locals.person = { name: s.actor, role: s.role }; // a refusal by role, not a failed sign-in
      logRefusal(req, res, s.actor, { role: s.role, need: 'admin' });
      throw new RfmError(
        'FORBIDDEN',
        `cancelling another person's run needs the admin role; ${s.actor} is a ${s.role}`,
        {
          details: { need: 'admin', role: s.role },
        },
      );
    }
    if (job.state === 'queued' || job.state === 'running') await reg.requestRunCancel(id);
    d.runs.queue.kick();
    res.redirect(303, runHref(id));
  });

  const svg = (res: Response, body: string) =>
    res
      .status(200)
      .type('image/svg+xml')
      .set('cache-control', 'private, max-age=300')
      .set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
      .send(body);

  router.get('/runs/:id/charts/shares.svg', async (req, res) => {
    const s = signedIn(req, res);
    if (!s) return;
    const run = await (await rd()).getRun(runId(req));
    svg(res, segmentSharesChart([...run.summary].sort((a, b) => b.revenue - a.revenue)));
  });

  // previous → this run's segments, drawn from the same diff as the movement table beside it
  router.get('/runs/:id/charts/movement.svg', async (req, res) => {
    const s = signedIn(req, res);
    if (!s) return;
    const against = parseOrThrow(RunIdParam, req.query.against, 'against', 'against');
    const reg = await rd();
    const [a, b] = [await loadSavedRun(reg, against), await loadSavedRun(reg, runId(req))];
    const d = diffRuns(a, b);
    // each segment in the colour of its swatch in the segment table (this run's cluster; else the earlier run's)
    const cluster = new Map([...a.run.summary, ...b.run.summary].map((x) => [x.key, x.cluster]));
    const colours: Record<string, string> = {};
    for (const t of d.byKey)
      for (const [key, name] of [
        [t.from, t.fromName],
        [t.to, t.toName],
      ] as const)
        if (cluster.has(key)) colours[name] = colorOf(cluster.get(key)!);
    svg(res, flowChart(movementFlows(d), { before: d.a.snapshotDate, after: d.b.snapshotDate, colours }));
  });

  async function sendCsv(res: Response, name: string, chunks: Generator<string>): Promise<void> {
    const first = chunks.next(); // an unknown segment fails here, before any byte is sent
    res
      .status(200)
      .type('text/csv; charset=utf-8')
      .set('cache-control', 'no-store')
      .set('content-disposition', `attachment; filename="${name}.csv"`);
    await streamChunks(res, first, chunks);
  }

  const fileWord = (v: string) =>
    v
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'segment';

  router.get('/runs/:id/customers.csv', async (req, res) => {
    const s = signedIn(req, res);
    if (!s) return;
    const id = runId(req);
    const segment =
      req.query.segment === undefined
        ? undefined
        : parseOrThrow(z.string().min(1).max(64), req.query.segment, 'segment', 'segment');
    const reg = await rd();
    const b = await loadSavedRun(reg, id);
    const history = customerHistory(
      { customers: b.customers, labels: labelsFromSummary(b.run.summary), snapshotDate: b.run.snapshotDate },
      await earlierRuns(reg, b.run.modelName, b.run),
    );
    const rows = rowsForRun(b, history);
    const list: ListOptions = {
      ...(segment ? { segment } : {}),
      includeUnconsented: includeUnconsented(req.query.include_unconsented),
    };
    await sendCsv(
      res,
      `${id}-${segment ? fileWord(segment) : 'customers'}${listSuffix(b.customers, list)}`,
      customersCsv(rows, list),
    );
  });

  // the customers of one flow between the previous run and this one, as the segment lists are written
  router.get('/runs/:id/moved.csv', async (req, res) => {
    const s = signedIn(req, res);
    if (!s) return;
    const id = runId(req);
    const q = parseOrThrow(MovedQuery, req.query, 'query');
    const reg = await rd();
    const b: SavedRunWithCustomers = await loadSavedRun(reg, id);
    const a = await loadSavedRun(reg, q.against);
    const moved = transitionCustomers(a, b, { from: q.from, to: q.to });
    const base = rowsForRun(b);
    const rows: CustomerRows = {
      ...base,
      customers: selectCustomers(
        b.customers,
        moved.map((m) => m.at),
      ),
      history: { previousSegment: moved.map((m) => m.from), segmentSince: moved.map(() => b.run.snapshotDate) },
    };
    const list: ListOptions = { includeUnconsented: q.include_unconsented === true };
    await sendCsv(
      res,
      `${id}-${fileWord(q.from)}-to-${fileWord(q.to)}${listSuffix(b.customers, list)}`,
      customersCsv(rows, list),
    );
  });

  return router;
}

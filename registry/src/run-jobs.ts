import { type Selectable, sql } from 'kysely';
import { z } from 'zod';
import { RfmError } from '@rfm/shared';
import { now } from './names.js';
import type { RegistryTables } from './store/schema.js';
import type { Db } from './store/store.js';

/**
 * Scoring jobs that servers run in the background (POST /api/v1/runs). Their state lives in the
 * registry so that every worker of `rfm serve --workers N` (and every server on the same
 * registry) can answer a status or cancel request for a job another process executes.
 *
 * These rows are transient bookkeeping, not part of the audit trail: no write here records an
 * event or touches aliases, labels or artifacts, so progress never looks like a model change.
 *
 * `server_id` is `host:group:pid`: the host, the pid of the `rfm serve` instance (the cluster
 * primary, or the server itself with one worker) and the pid of the process that created or
 * executes the job. A dead pid on this host is how a restarted server recognises jobs it left.
 */
export const RUN_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type RunState = (typeof RUN_STATES)[number];
export const FINAL_STATES: readonly RunState[] = ['succeeded', 'failed', 'cancelled'];
const ACTIVE: RunState[] = ['queued', 'running'];

export const RunJobSchema = z.object({
  id: z.string(),
  model: z.string(),
  version: z.number().int().nullable(),
  alias: z.string().nullable(),
  state: z.enum(RUN_STATES),
  phase: z.string().nullable(),
  rowsRead: z.coerce.number().int().min(0),
  percent: z.coerce.number().min(0).max(100),
  errorCode: z.string().nullable(),
  error: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  serverId: z.string(),
  cancelRequested: z.boolean(),
  save: z.boolean(),
  options: z.record(z.string(), z.unknown()),
  result: z.unknown().nullable(),
});
export type RunJob = z.infer<typeof RunJobSchema>;

export interface NewRunJob {
  id: string;
  model: string;
  version?: number | null;
  alias?: string | null;
  createdBy: string;
  serverId: string;
  save: boolean;
  /** how to read the export (columns, date format, as-of); never customer data */
  options?: Record<string, unknown>;
}

export interface RunJobChange {
  state?: RunState;
  phase?: string | null;
  rowsRead?: number;
  percent?: number;
  errorCode?: string | null;
  error?: string | null;
  result?: unknown;
  version?: number;
}

type Row = Selectable<RegistryTables['run_jobs']>;

function toJob(r: Row): RunJob {
  return RunJobSchema.parse({
    id: r.id,
    model: r.model,
    version: r.version,
    alias: r.alias,
    state: r.state,
    phase: r.phase,
    rowsRead: r.rows_read,
    percent: r.percent,
    errorCode: r.error_code,
    error: r.error,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    serverId: r.server_id,
    cancelRequested: Number(r.cancel_requested) === 1,
    save: Number(r.save) === 1,
    options: JSON.parse(r.options_json),
    result: r.result_json === null ? null : JSON.parse(r.result_json),
  });
}

export async function createRunJob(trx: Db, job: NewRunJob): Promise<RunJob> {
  const at = now();
  await trx
    .insertInto('run_jobs')
    .values({
      id: job.id,
      model: job.model,
      version: job.version ?? null,
      alias: job.alias ?? null,
      state: 'queued',
      phase: null,
      error_code: null,
      error: null,
      created_by: job.createdBy,
      created_at: at,
      updated_at: at,
      server_id: job.serverId,
      save: job.save ? 1 : 0,
      options_json: JSON.stringify(job.options ?? {}),
      result_json: null,
    })
    .execute();
  return getRunJob(trx, job.id);
}

export async function getRunJob(db: Db, id: string): Promise<RunJob> {
  const r = await db.selectFrom('run_jobs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) throw new RfmError('NOT_FOUND', `no run ${JSON.stringify(id)}`, { details: { run: id } });
  return toJob(r);
}

export async function listRunJobs(db: Db, opts: { model?: string; limit?: number } = {}): Promise<RunJob[]> {
  let q = db.selectFrom('run_jobs').selectAll();
  if (opts.model !== undefined) q = q.where('model', '=', opts.model);
  const rows = await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(opts.limit ?? 100)
    .execute();
  return rows.map((r) => toJob(r));
}

/**
 * Change a job that is still queued or running. A job already finished is never changed again
 * (a late progress message cannot revive a cancelled run): returns null then.
 */
export async function updateRunJob(trx: Db, id: string, change: RunJobChange): Promise<RunJob | null> {
  const set: Record<string, unknown> = { updated_at: now() };
  if (change.state !== undefined) set.state = change.state;
  if (change.phase !== undefined) set.phase = change.phase;
  if (change.rowsRead !== undefined) set.rows_read = Math.max(0, Math.round(change.rowsRead));
  if (change.percent !== undefined) set.percent = Math.min(100, Math.max(0, change.percent));
  if (change.errorCode !== undefined) set.error_code = change.errorCode;
  if (change.error !== undefined) set.error = change.error;
  if (change.result !== undefined) set.result_json = JSON.stringify(change.result);
  if (change.version !== undefined) set.version = change.version;
  const r = await trx
    .updateTable('run_jobs')
    .set(set)
    .where('id', '=', id)
    .where('state', 'in', ACTIVE)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) {
    await getRunJob(trx, id); // NOT_FOUND for an unknown id
    return null;
  }
  return getRunJob(trx, id);
}

/**
 * Ask for a job to stop. A queued job is cancelled at once (nothing runs yet); a running one is
 * flagged, and the process executing it stops it within its next poll. A finished job: CONFLICT.
 */
export async function requestRunCancel(trx: Db, id: string): Promise<RunJob> {
  const job = await getRunJob(trx, id);
  if (job.state === 'queued') {
    await updateRunJob(trx, id, { state: 'cancelled', error: 'cancelled before it started', errorCode: null });
  } else if (job.state === 'running') {
    await trx.updateTable('run_jobs').set({ cancel_requested: 1, updated_at: now() }).where('id', '=', id).execute();
  } else {
    throw new RfmError('CONFLICT', `run ${id} has already ${job.state === 'succeeded' ? 'finished' : job.state}`, {
      details: { run: id, state: job.state },
    });
  }
  return getRunJob(trx, id);
}

/**
 * `server_id` begins with `prefix`, compared exactly. Not LIKE: a host name may hold `_` or `%`
 * (LIKE wildcards, so `host_a` matched `hostXa`'s jobs), and SQLite's LIKE ignores ASCII case.
 * substr counts characters on both back ends, so the length is the prefix's code points.
 */
function serverIdStartsWith(prefix: string) {
  return sql<boolean>`substr(server_id, 1, ${[...prefix].length}) = ${prefix}`;
}

/** How many jobs of one serve instance wait (a cheap read before claimNextRunJob's write). */
export async function queuedRunJobs(db: Db, group: string): Promise<number> {
  const r = await db
    .selectFrom('run_jobs')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('state', '=', 'queued')
    .where(serverIdStartsWith(group))
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/**
 * Take the oldest queued job of one `rfm serve` instance (server ids starting with `group`) for
 * `serverId` to execute, unless one of the instance's jobs is already running: one run at a
 * time per server. Returns null when there is nothing to take.
 */
export async function claimNextRunJob(trx: Db, group: string, serverId: string): Promise<RunJob | null> {
  const busy = await trx
    .selectFrom('run_jobs')
    .select('id')
    .where('state', '=', 'running')
    .where(serverIdStartsWith(group))
    .executeTakeFirst();
  if (busy) return null;
  const next = await trx
    .selectFrom('run_jobs')
    .select('id')
    .where('state', '=', 'queued')
    .where(serverIdStartsWith(group))
    .orderBy('created_at')
    .orderBy('id')
    .executeTakeFirst();
  if (!next) return null;
  const r = await trx
    .updateTable('run_jobs')
    .set({ state: 'running', server_id: serverId, phase: 'starting', updated_at: now() })
    .where('id', '=', next.id)
    .where('state', '=', 'queued')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1 ? getRunJob(trx, next.id) : null;
}

/**
 * After a crash or restart: every queued or running job of this host whose process is gone is
 * marked failed with the reason. `alive(pid)` says whether a process exists; a queued job is
 * orphaned when its `rfm serve` instance is gone, a running one when its executing process is.
 * `saved(id)` says whether the run was saved completely before the crash (the save is one
 * transaction): such a job is marked succeeded instead. Returns the ids changed.
 */
export async function failOrphanedRunJobs(
  trx: Db,
  host: string,
  alive: (pid: number) => boolean,
  saved: (id: string) => Promise<boolean> = async () => false,
): Promise<{ failed: string[]; succeeded: string[] }> {
  const rows = await trx
    .selectFrom('run_jobs')
    .select(['id', 'state', 'server_id'])
    .where('state', 'in', ACTIVE)
    .where(serverIdStartsWith(`${host}:`))
    .execute();
  const out = { failed: [] as string[], succeeded: [] as string[] };
  for (const r of rows) {
    const [group, pid] = r.server_id
      .slice(host.length + 1)
      .split(':')
      .map(Number);
    const owner = r.state === 'queued' ? group : pid;
    if (owner === undefined || !Number.isInteger(owner) || alive(owner)) continue;
    if (await saved(r.id)) {
      await updateRunJob(trx, r.id, { state: 'succeeded', phase: 'done', percent: 100 });
      out.succeeded.push(r.id);
      continue;
    }
    await updateRunJob(trx, r.id, {
      state: 'failed',
      errorCode: 'INTERNAL',
      error:
        r.state === 'queued'
          ? 'the server stopped (crash or restart) before this run started; nothing was saved'
          : 'the server stopped (crash or restart) while this run was executing; nothing was saved',
    });
    out.failed.push(r.id);
  }
  return out;
}

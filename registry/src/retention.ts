import { RfmError } from '@rfm/shared';
import { recordEvent } from './events.js';
import { FINAL_STATES } from './run-jobs.js';
import { modelId } from './records.js';
import type { Db } from './store/store.js';

/**
 * Retention of saved runs (`rfm runs gc`, and a server's schedule): runs older than an age, or
 * beyond the newest N of their model, are deleted, each with a `run_delete` event saying which
 * rule took it; finished scoring jobs older than the age (30 days when no age is given) are pruned
 * too (transient bookkeeping: no event). A dry run only lists.
 */
export interface RunsGcOptions {
  olderThanDays?: number;
  keep?: number;
  model?: string;
  dryRun?: boolean;
  /** the clock (tests) */
  now?: Date;
}

export interface RunsGcResult {
  runs: { id: string; model: string; createdAt: string; rule: 'age' | 'count' }[];
  jobs: number;
  dryRun: boolean;
}

export const JOBS_DEFAULT_DAYS = 30;
const DAY_MS = 86_400_000;

export async function gcRuns(trx: Db, opts: RunsGcOptions, actor: string): Promise<RunsGcResult> {
  if (opts.olderThanDays === undefined && opts.keep === undefined)
    throw new RfmError('INVALID_INPUT', 'runs gc needs --older-than AGE or --keep N (or both)');
  const at = opts.now ?? new Date();
  const cutoff =
    opts.olderThanDays === undefined ? null : new Date(at.getTime() - opts.olderThanDays * DAY_MS).toISOString();
  let q = trx
    .selectFrom('runs as r')
    .innerJoin('models as m', 'm.id', 'r.model_id')
    .select(['r.id', 'r.model_id', 'r.version', 'r.export_name', 'r.created_at', 'm.name']);
  if (opts.model !== undefined) q = q.where('r.model_id', '=', await modelId(trx, opts.model));
  const rows = await q.orderBy('m.name').orderBy('r.created_at', 'desc').orderBy('r.id', 'desc').execute();
  const out: RunsGcResult['runs'] = [];
  const seen = new Map<string, number>();
  for (const r of rows) {
    const rank = seen.get(r.name) ?? 0;
    seen.set(r.name, rank + 1);
    const rule =
      opts.keep !== undefined && rank >= opts.keep ? 'count' : cutoff && r.created_at < cutoff ? 'age' : null;
    if (!rule) continue;
    out.push({ id: r.id, model: r.name, createdAt: r.created_at, rule });
    if (opts.dryRun) continue;
    await trx.deleteFrom('runs').where('id', '=', r.id).execute();
    await recordEvent(trx, r.model_id, {
      actor,
      action: 'run_delete',
      alias: null,
      from: r.version,
      to: null,
      reason:
        rule === 'count'
          ? `retention: beyond the newest ${opts.keep}`
          : `retention: older than ${opts.olderThanDays} days`,
      details: { run: r.id, export: r.export_name, retention: rule },
    });
  }
  const jobsCutoff = new Date(at.getTime() - (opts.olderThanDays ?? JOBS_DEFAULT_DAYS) * DAY_MS).toISOString();
  let jq = trx
    .selectFrom('run_jobs')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('state', 'in', [...FINAL_STATES])
    .where('updated_at', '<', jobsCutoff);
  if (opts.model !== undefined) jq = jq.where('model', '=', opts.model);
  const jobs = Number((await jq.executeTakeFirstOrThrow()).n);
  if (!opts.dryRun && jobs) {
    let d = trx
      .deleteFrom('run_jobs')
      .where('state', 'in', [...FINAL_STATES])
      .where('updated_at', '<', jobsCutoff);
    if (opts.model !== undefined) d = d.where('model', '=', opts.model);
    await d.execute();
  }
  return { runs: out, jobs, dryRun: Boolean(opts.dryRun) };
}

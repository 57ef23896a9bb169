import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setPriority } from 'node:os';
import { FINAL_STATES, type RunJob } from '@rfm/registry';
import { RfmError } from '@rfm/shared';
import { postWebhook, type WebhookOptions } from '@rfm/runs';
import type { Logger } from '../logger.js';
import type { ServingMetrics } from '../metrics.js';
import type { RegistryWriter } from '../registry-writer.js';
import { pidAlive, type RunIdentity } from './identity.js';
import type { ChildReply, ChildStart, RunReadOptions } from './protocol.js';
import {
  keepUpload,
  keptUpload,
  removeRunFolder,
  runFolderOf,
  sweepKeptUploads,
  sweepRunFolders,
} from './run-files.js';
import { isTrainJob, startTrainChild, trainArgs, TrainJobOptions, type TrainChild } from './train-job.js';

export interface RunQueueOptions {
  registry: string;
  writer: RegistryWriter;
  logger: Logger;
  identity: RunIdentity;
  /** the private base folder of run folders (run-files.ts) */
  base: string;
  /** how often the queue looks for work and for cancel requests (ms) */
  pollMs?: number;
  /** DuckDB's memory limit in the child */
  memoryLimit?: string;
  /** V8 heap cap of the child (MB): with DuckDB's limit, what bounds a run's memory */
  heapMb?: number;
  /** added to the child's scheduling niceness: request handling goes first */
  niceness?: number;
  /** told when a run is saved (drift gauges) and of each webhook delivery */
  metrics?: Pick<ServingMetrics, 'runsChanged' | 'webhookDelivered'>;
  /** webhook retries and timeout (tests shorten them) */
  webhook?: WebhookOptions;
  /** how long a saved run's upload is kept for retraining (ms; 0: removed with the run folder) */
  keepUploadMs?: number;
  /** the command that runs `rfm train` (e.g. node, the CLI entry, 'train'); without it train jobs fail */
  trainCommand?: readonly string[];
}

interface Current {
  job: RunJob;
  child: ChildProcess;
  dir: string;
  cancelled: boolean;
  lastWrite: number;
  pending: { phase: string; rowsRead: number; percent: number } | null;
  outcome: ChildReply | null;
  /** a train job: `rfm train` in a child process instead of run-child.ts */
  train?: TrainChild;
}

/**
 * The scoring runs of one `rfm serve` instance. Jobs wait in the registry's run_jobs table (so
 * every worker sees them); this queue claims the instance's oldest queued job when none of its
 * jobs runs (one run at a time per server), executes it in a child process (run-child.ts) off
 * the event loop at a lower priority, writes its progress (at most every few hundred ms),
 * watches for cancel requests made through any worker, and removes the run's folder however it
 * ends. At start it marks jobs its dead predecessor left as failed and removes their folders.
 */
export class RunQueue {
  private timer: NodeJS.Timeout | null = null;
  private keptTimer: NodeJS.Timeout | null = null;
  private current: Current | null = null;
  private ticking = false;
  private idleTicks = 0;
  private stopped = false;
  private readonly pollMs: number;

  constructor(private readonly o: RunQueueOptions) {
    this.pollMs = o.pollMs ?? 250;
  }

  async start(): Promise<void> {
    const reg = await this.o.writer.get();
    const left = await reg.failOrphanedRunJobs(this.o.identity.host, pidAlive);
    if (left.failed.length || left.succeeded.length)
      this.o.logger.warn({ failed: left.failed, succeeded: left.succeeded }, 'scoring runs left by a stopped server');
    await this.sweep();
    this.timer = setInterval(() => void this.tick(), this.pollMs);
    this.timer.unref();
    // kept uploads expire whether or not the queue is ever idle (the idle sweep also deletes them)
    this.keptTimer = setInterval(() => this.sweepKept(), KEPT_SWEEP_MS);
    this.keptTimer.unref();
  }

  /** Look for work now (after a POST) instead of at the next poll. */
  kick(): void {
    void this.tick();
  }

  /** The job this process executes, if any (tests, metrics). */
  get running(): string | null {
    return this.current?.job.id ?? null;
  }

  private async sweep(): Promise<void> {
    const reg = await this.o.writer.get();
    const removed = await sweepRunFolders(this.o.base, pidAlive, async (id, dir) => {
      if (this.current?.job.id === id) return false;
      try {
        return FINAL_STATES.includes((await reg.getRunJob(id)).state);
      } catch {
        // no job yet: an upload in progress in some worker of this instance (the route removes the
        // folder if the POST fails); only one stalled far beyond any request timeout is abandoned
        return Date.now() - mtimeMs(dir) > ABANDONED_UPLOAD_MS;
      }
    });
    if (removed.length) this.o.logger.info({ removed: removed.length }, 'removed leftover scoring run folders');
    this.sweepKept();
  }

  /** Kept uploads hold customer data: deleted once their keeping time is over, whoever kept them. */
  private sweepKept(): void {
    try {
      const expired = sweepKeptUploads(this.o.base, this.o.keepUploadMs ?? 0);
      if (expired.length) this.o.logger.info({ removed: expired.length }, 'deleted uploads kept past their time');
    } catch (e) {
      this.o.logger.error({ err: e }, 'could not sweep kept uploads');
    }
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      const reg = await this.o.writer.get();
      if (this.current) {
        const cur = this.current;
        const job = await reg.getRunJob(cur.job.id);
        if (job.cancelRequested && !cur.cancelled) {
          cur.cancelled = true;
          cur.child.kill('SIGKILL'); // the save is one transaction: killing never leaves half a run
        }
        await this.flushProgress(cur, false);
        return;
      }
      // a read first: an idle server must not take the registry's write lock four times a second
      const job =
        (await reg.queuedRunJobs(this.o.identity.group)) > 0
          ? await reg.claimNextRunJob(this.o.identity.group, this.o.identity.serverId)
          : null;
      if (job) this.execute(job);
      else if (++this.idleTicks % 20 === 0) await this.sweep(); // queued jobs cancelled by any worker leave folders
    } catch (e) {
      this.o.logger.error({ err: e }, 'scoring run queue');
    } finally {
      this.ticking = false;
    }
  }

  private execute(job: RunJob): void {
    if (isTrainJob(job.options)) {
      this.executeTrain(job);
      return;
    }
    const { identity, logger } = this.o;
    const dir = runFolderOf(this.o.base, identity.groupPid, job.id);
    const name = safeReaddir(dir).find((f) => f.startsWith('export.'));
    const fromSource = import.meta.url.endsWith('.ts');
    const entry = new URL(`./run-child.${fromSource ? 'ts' : 'js'}`, import.meta.url);
    const heap = `--max-old-space-size=${this.o.heapMb ?? 1024}`;
    const child = fork(entry, {
      // from source (tests), the child loads TypeScript through tsx with the source condition
      execArgv: fromSource ? ['--conditions=rfm-source', '--import', 'tsx', heap] : [heap],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    const cur: Current = { job, child, dir, cancelled: false, lastWrite: 0, pending: null, outcome: null };
    this.current = cur;
    const niceness = this.o.niceness ?? 10;
    try {
      if (child.pid) setPriority(child.pid, niceness);
    } catch (e) {
      logger.warn({ run: job.id, err: e }, 'could not lower the scoring run priority');
    }
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString('utf8');
    });
    child.on('message', (m: ChildReply) => {
      if (m.type === 'progress') cur.pending = { phase: m.phase, rowsRead: m.rowsRead, percent: m.percent };
      else cur.outcome = m;
    });
    child.once('exit', (code, signal) => void this.finish(cur, code, signal, stderr));
    logger.info({ run: job.id, model: job.model, version: job.version }, 'scoring run started');
    if (!name) {
      child.kill('SIGKILL');
      cur.outcome = { type: 'error', code: 'INTERNAL', message: 'the run’s upload is missing', issues: [] };
      return;
    }
    const start: ChildStart = {
      id: job.id,
      registry: this.o.registry,
      model: job.model,
      version: job.version ?? 0,
      save: job.save,
      actor: job.createdBy,
      file: join(dir, name),
      dir,
      exportName: typeof job.options.exportName === 'string' ? job.options.exportName : 'upload',
      options: (job.options.read ?? {}) as RunReadOptions,
      memoryLimit: this.o.memoryLimit ?? '512MB',
      niceness,
    };
    child.send(start);
  }

  /**
   * Post a saved run's summary to its model's webhook, in the background: the job is already
   * marked succeeded, and nothing here can fail it. A failure is one log line naming the run, the
   * receiver's origin and why — never the payload or the full URL (it may hold a secret).
   */
  private deliver(run: string, model: string, hook: { url: string; payload: unknown }): void {
    const { logger } = this.o;
    const origin = URL.canParse(hook.url) ? new URL(hook.url).origin : '(invalid URL)';
    const p = postWebhook(hook.url, hook.payload, this.o.webhook).then((d) => {
      this.o.metrics?.webhookDelivered(model, d.ok);
      if (d.ok)
        logger.info({ run, webhook: origin, attempts: d.attempts, ms: d.ms }, 'run summary posted to the webhook');
      else
        logger.warn(
          { run, webhook: origin, attempts: d.attempts, status: d.status, error: d.error, ms: d.ms },
          'webhook delivery failed; the run is saved',
        );
    });
    this.deliveries.add(p);
    void p.finally(() => this.deliveries.delete(p));
  }

  /** Deliveries still under way (stop() waits for them, bounded by their own timeouts). */
  private readonly deliveries = new Set<Promise<void>>();
  /** A train job: `rfm train` on the source run's kept upload, progress from its --progress-json lines. */
  private executeTrain(job: RunJob): void {
    const { identity, logger } = this.o;
    const parsed = TrainJobOptions.safeParse(job.options);
    const kept = parsed.success ? keptUpload(this.o.base, parsed.data.source, this.o.keepUploadMs ?? 0) : null;
    let args: string[] = [];
    let refusal = !this.o.trainCommand
      ? { code: 'FORBIDDEN', text: 'training a new version is not available on this server' }
      : !parsed.success
        ? { code: 'INVALID_INPUT', text: 'the training options are not valid' }
        : !kept
          ? { code: 'NOT_FOUND', text: 'the run’s upload is no longer kept: upload the export again to train on it' }
          : null;
    if (!refusal && parsed.success && kept)
      try {
        args = trainArgs(kept.file, parsed.data);
      } catch (e) {
        refusal = {
          code: e instanceof RfmError ? e.code : 'INTERNAL',
          text: e instanceof Error ? e.message : String(e),
        };
      }
    if (refusal) {
      void this.refuse(job, refusal);
      return;
    }
    const dir = runFolderOf(this.o.base, identity.groupPid, job.id); // never created: a train job has no folder
    const cur: Current = {
      job,
      child: null as unknown as ChildProcess,
      dir,
      cancelled: false,
      lastWrite: 0,
      pending: null,
      outcome: null,
    };
    const train = startTrainChild(
      this.o.trainCommand!,
      args,
      { registry: this.o.registry, model: job.model, actor: job.createdBy },
      (p) => {
        cur.pending = p;
      },
    );
    cur.child = train.child;
    cur.train = train;
    this.current = cur;
    try {
      if (train.child.pid) setPriority(train.child.pid, this.o.niceness ?? 10);
    } catch (e) {
      logger.warn({ run: job.id, err: e }, 'could not lower the training priority');
    }
    train.child.once('error', (e) => logger.error({ run: job.id, err: e }, 'could not start rfm train'));
    train.child.once('close', (code, signal) => void this.finish(cur, code, signal, ''));
    logger.info({ run: job.id, model: job.model, k: parsed.success ? parsed.data.k : null }, 'training started');
  }

  private async refuse(job: RunJob, why: { code: string; text: string }): Promise<void> {
    try {
      await (await this.o.writer.get()).updateRunJob(job.id, { state: 'failed', errorCode: why.code, error: why.text });
    } catch (e) {
      this.o.logger.error({ run: job.id, err: e }, 'could not record a refused train job');
    }
    if (!this.stopped) this.kick();
  }

  private async finishTrain(cur: Current, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    const reg = await this.o.writer.get();
    const id = cur.job.id;
    const out = cur.train!.outcome();
    if (out && 'version' in out) {
      // registered, even if a cancel came after: the version exists, so the job says so
      await reg.updateRunJob(id, {
        state: 'succeeded',
        phase: 'done',
        percent: 100,
        result: { trained: { model: cur.job.model, version: out.version } },
      });
      this.o.logger.info({ run: id, version: out.version }, 'training succeeded');
    } else if (cur.cancelled || this.stopped) {
      await reg.updateRunJob(id, {
        state: cur.cancelled ? 'cancelled' : 'failed',
        errorCode: cur.cancelled ? null : 'INTERNAL',
        error: cur.cancelled
          ? 'cancelled while training; no version was registered'
          : 'the server shut down while this training ran; no version was registered',
      });
    } else {
      const err = out
        ? { errorCode: out.code, error: out.message }
        : {
            errorCode: 'INTERNAL',
            error: `rfm train ended unexpectedly (${signal ?? `exit code ${code}`}); no version was registered`,
          };
      await reg.updateRunJob(id, { state: 'failed', ...err });
      this.o.logger.warn({ run: id, error_code: err.errorCode }, 'training failed');
    }
  }

  private async flushProgress(cur: Current, force: boolean): Promise<void> {
    const p = cur.pending;
    if (!p || (!force && Date.now() - cur.lastWrite < 300)) return;
    cur.pending = null;
    cur.lastWrite = Date.now();
    await (await this.o.writer.get()).updateRunJob(cur.job.id, {
      phase: p.phase,
      rowsRead: p.rowsRead,
      percent: p.percent,
    });
  }

  private async finish(
    cur: Current,
    code: number | null,
    signal: NodeJS.Signals | null,
    stderr: string,
  ): Promise<void> {
    const { logger } = this.o;
    const id = cur.job.id;
    try {
      if (cur.train) return await this.finishTrain(cur, code, signal);
      const reg = await this.o.writer.get();
      const out = cur.outcome;
      if (out?.type === 'done') {
        await reg.updateRunJob(id, {
          state: 'succeeded',
          phase: 'done',
          percent: 100,
          rowsRead: (out.facts as { rowsRead?: number }).rowsRead ?? 0,
          result: { saved: out.saved, facts: out.facts, summary: out.summary },
        });
        logger.info({ run: id, saved: out.saved }, 'scoring run succeeded');
        if (out.saved) this.o.metrics?.runsChanged();
        if (out.webhookError)
          logger.warn({ run: id, model: cur.job.model }, 'run saved, but its webhook summary could not be made');
        if (out.webhook) this.deliver(id, cur.job.model, out.webhook);
        // kept for retraining from the run page, for the configured time (the sweep deletes it then)
        if (out.saved && (this.o.keepUploadMs ?? 0) > 0) keepUpload(this.o.base, cur.dir, id);
      } else if (await savedRun(reg, id)) {
        // the save committed just before a cancel or a crash of the child: the run is whole
        await reg.updateRunJob(id, { state: 'succeeded', phase: 'done', percent: 100 });
        logger.info({ run: id }, 'scoring run succeeded (saved before it was stopped)');
      } else if (cur.cancelled || this.stopped) {
        await reg.updateRunJob(id, {
          state: cur.cancelled ? 'cancelled' : 'failed',
          errorCode: cur.cancelled ? null : 'INTERNAL',
          error: cur.cancelled
            ? 'cancelled while running; nothing was saved'
            : 'the server shut down while this run was executing; nothing was saved',
        });
        logger.info({ run: id, cancelled: cur.cancelled }, 'scoring run stopped');
      } else {
        const err =
          out?.type === 'error'
            ? { errorCode: out.code, error: out.message }
            : {
                errorCode: 'INTERNAL',
                error: `the scoring process ended unexpectedly (${signal ?? `exit code ${code}`}${
                  /heap out of memory/i.test(stderr) ? ': out of memory' : ''
                }); nothing was saved`,
              };
        await reg.updateRunJob(id, { state: 'failed', ...err });
        // the code only: an error message may quote the export's contents
        logger.warn({ run: id, error_code: err.errorCode }, 'scoring run failed');
      }
    } catch (e) {
      logger.error({ run: id, err: e }, 'could not record the end of a scoring run');
    } finally {
      removeRunFolder(cur.dir);
      if (this.current === cur) this.current = null;
      if (!this.stopped) this.kick();
    }
  }

  /** Stop taking work; a run still executing is killed and recorded as failed (never half-saved). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    // a delivery under way gets a moment to finish; a slow receiver never holds up a shutdown long
    if (this.deliveries.size)
      await Promise.race([Promise.allSettled([...this.deliveries]), new Promise((r) => setTimeout(r, 2000))]);
    if (this.keptTimer) clearInterval(this.keptTimer);
    const cur = this.current;
    if (!cur) return;
    const exited = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (this.current !== cur) {
          clearInterval(check);
          resolve();
        }
      }, 10);
    });
    cur.child.kill('SIGKILL');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  }
}

async function savedRun(reg: Awaited<ReturnType<RegistryWriter['get']>>, id: string): Promise<boolean> {
  try {
    await reg.getRun(id);
    return true;
  } catch (e) {
    if (e instanceof RfmError && e.code === 'NOT_FOUND') return false;
    throw e;
  }
}

/** How often kept uploads past their time are looked for, busy or idle. */
const KEPT_SWEEP_MS = 5 * 60_000;

/** A folder without a job this long after its last write is an upload whose worker died. */
const ABANDONED_UPLOAD_MS = 60 * 60_000;

function mtimeMs(dir: string): number {
  try {
    return statSync(dir).mtimeMs;
  } catch {
    return 0;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from '@rfm/shared';
import type { Logger } from './logger.js';
import { untilStopSignal } from './stop-signal.js';
import type { ServingMetrics } from './metrics.js';
import type { SessionChange, SessionState, SessionSync } from './ui/session.js';

/**
 * `rfm serve --workers N`: the primary forks N workers (node:cluster), each a whole server with
 * its own model holder polling the registry, all accepting on the same port. The primary restarts
 * a worker that dies, answers the workers' requests for cluster-wide metrics, and on SIGTERM /
 * SIGINT tells every worker to stop accepting and finish its in-flight requests, then exits once
 * they all have.
 *
 * Messages between them (IPC): worker → primary `listening` (url, version) and `metrics?` (id);
 * primary → worker `metrics` (id, body) and `stop`.
 */

export function resolveWorkers(w: Config['workers']): number {
  return w === 'auto' ? availableParallelism() : w;
}

type ToPrimary =
  | { rfm: 'listening'; url: string; version: number | null; reason: string }
  | { rfm: 'metrics?'; id: number }
  | { rfm: 'session'; change: SessionChange };
type ToWorker =
  | { rfm: 'metrics'; id: number; contentType: string; body: string }
  | { rfm: 'stop' }
  | { rfm: 'session'; change: SessionChange };

const isRfm = (m: unknown): m is { rfm: string } =>
  typeof m === 'object' && m !== null && typeof (m as { rfm?: unknown }).rfm === 'string';

export interface PrimaryOptions {
  workers: number;
  logger: Logger;
  /** one human line (the ready line, shutdown); default stdout */
  out?: (line: string) => void;
  /** stop without a signal (tests) */
  signal?: AbortSignal;
  /** how long a worker may take to drain before it is killed */
  drainMs?: number;
}

/** Run the primary until SIGTERM / SIGINT (or `signal`), then stop every worker gracefully. */
export async function runPrimary(opts: PrimaryOptions): Promise<void> {
  const out = opts.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const log = opts.logger.child({ component: 'cluster-primary' });
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  let announced = false;
  const recentCrashes: number[] = [];

  // admin sessions (ui/session.ts): the primary keeps the current epoch and revocations, relays
  // every change to the other workers, and starts each new worker with the state as it is now,
  // the cookie key included: every worker (and a restarted one) accepts the sessions the others signed
  const sessions: SessionState = {
    epoch: randomBytes(9).toString('base64url'),
    revoked: [],
    key: randomBytes(32).toString('base64url'),
  };
  const fork = (): Worker => {
    const now = Date.now() / 1000;
    sessions.revoked = sessions.revoked.filter(([, e]) => e > now);
    const w = cluster.fork({ RFM_WORKER: '1', RFM_SESSION_STATE: JSON.stringify(sessions) });
    w.on('message', (m: unknown) => {
      if (!isRfm(m)) return; // prom-client's own aggregation messages are handled by prom-client
      const msg = m as ToPrimary;
      if (msg.rfm === 'session') {
        const c = msg.change;
        if (c.op === 'epoch') [sessions.epoch, sessions.revoked] = [c.epoch, []];
        else sessions.revoked.push([c.nonce, c.expires]);
        for (const other of Object.values(cluster.workers ?? {}))
          if (other && other !== w) send(other, { rfm: 'session', change: c });
        return;
      }
      if (msg.rfm === 'listening') {
        log.info({ worker: w.id, pid: w.process.pid, version: msg.version }, 'worker listening');
        if (!announced) {
          announced = true;
          out(
            msg.version === null
              ? `rfm serving at ${msg.url} with ${opts.workers} workers: no model is active yet (${msg.reason})`
              : `rfm serving v${msg.version} at ${msg.url} with ${opts.workers} workers`,
          );
        }
      } else if (msg.rfm === 'metrics?') {
        aggregator.clusterMetrics().then(
          (body) => send(w, { rfm: 'metrics', id: msg.id, contentType: aggregator.contentType, body }),
          (e: unknown) =>
            send(w, {
              rfm: 'metrics',
              id: msg.id,
              contentType: 'text/plain; charset=utf-8',
              body: `# cluster metrics unavailable: ${e instanceof Error ? e.message : String(e)}\n`,
            }),
        );
      }
    });
    return w;
  };

  const exited = new Promise<void>((resolveAll) => {
    cluster.on('exit', (w, code, signal) => {
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) resolveAll();
        return;
      }
      // a crash: restart it, but not in a tight loop if it keeps dying at start-up
      const now = Date.now();
      recentCrashes.push(now);
      while (recentCrashes.length && recentCrashes[0]! < now - 10_000) recentCrashes.shift();
      const delay = recentCrashes.length > 5 ? 1000 : 0;
      log.error(
        { worker: w.id, pid: w.process.pid, code, signal, restart_in_ms: delay },
        `worker ${w.process.pid} exited (${signal ?? `code ${code}`}); starting a new one`,
      );
      setTimeout(() => {
        if (!stopping) fork();
      }, delay).unref();
    });
  });

  for (let i = 0; i < opts.workers; i++) fork();

  await untilStopSignal({
    signal: opts.signal,
    onSignal: (sig) => out(`rfm: ${sig} received, workers are finishing in-flight requests`),
  });

  stopping = true;
  const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  if (alive.length === 0) return;
  for (const w of alive) send(w, { rfm: 'stop' });
  const force = setTimeout(
    () => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
    },
    (opts.drainMs ?? 10_000) + 5_000,
  );
  force.unref();
  await exited;
  clearTimeout(force);
  out('rfm: all workers stopped');
}

function send(w: Worker, m: ToWorker): void {
  if (w.isConnected()) w.send(m);
}

/** What a worker needs from the primary: cluster-wide metrics, a stop signal, and a way to report. */
export interface WorkerLink {
  /** GET /metrics: ask the primary for the sum over all workers */
  collectMetrics: () => Promise<{ contentType: string; body: string }>;
  /** aborted when the primary says stop */
  signal: AbortSignal;
  listening(url: string, version: number | null, reason: string): void;
  /** admin sessions shared with every other worker through the primary */
  sessions: SessionSync;
}

/** Inside a worker: register this process's metrics for aggregation and wire the IPC messages. */
export function workerLink(metrics: ServingMetrics): WorkerLink {
  if (!cluster.isWorker) throw new Error('workerLink() is for cluster workers');
  AggregatorRegistry.setRegistries([metrics.registry]);
  new AggregatorRegistry(); // installs prom-client's worker-side listener (answers the primary's collection requests)
  const stop = new AbortController();
  let next = 0;
  const pending = new Map<number, (v: { contentType: string; body: string }) => void>();
  const sessionListeners: ((c: SessionChange) => void)[] = [];
  process.on('message', (m: unknown) => {
    if (!isRfm(m)) return;
    const msg = m as ToWorker;
    if (msg.rfm === 'stop') stop.abort();
    else if (msg.rfm === 'session') for (const f of sessionListeners) f(msg.change);
    else if (msg.rfm === 'metrics') {
      pending.get(msg.id)?.({ contentType: msg.contentType, body: msg.body });
      pending.delete(msg.id);
    }
  });
  // the primary went away (killed): stop too rather than serve unsupervised
  process.on('disconnect', () => stop.abort());
  return {
    signal: stop.signal,
    collectMetrics: () =>
      new Promise((resolve, reject) => {
        const id = ++next;
        const t = setTimeout(() => {
          pending.delete(id);
          reject(new Error('the cluster primary did not answer the metrics request within 5 s'));
        }, 5000);
        pending.set(id, (v) => {
          clearTimeout(t);
          resolve(v);
        });
        process.send?.({ rfm: 'metrics?', id } satisfies ToPrimary);
      }),
    listening: (url, version, reason) => process.send?.({ rfm: 'listening', url, version, reason } satisfies ToPrimary),
    sessions: {
      ...(initialSessions() ? { initial: initialSessions()! } : {}),
      publish: (change) => process.send?.({ rfm: 'session', change } satisfies ToPrimary),
      subscribe: (apply) => void sessionListeners.push(apply),
    },
  };
}

function initialSessions(): SessionState | undefined {
  try {
    const raw = process.env.RFM_SESSION_STATE;
    return raw ? (JSON.parse(raw) as SessionState) : undefined;
  } catch {
    return undefined;
  }
}

import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { AggregatorRegistry, RegistryContentType } from 'prom-client';
import type { Config } from '@rfm/shared';
import type { Logger } from './logger.js';
import { untilStopSignal } from './stop-signal.js';
import type { SessionChange, SessionState } from './ui/session.js';

/**
 * `rfm serve --workers N`: the primary forks N workers (node:cluster; the first alone, the others
 * once it listens), each a whole server with
 * its own model holder polling the registry, all accepting on the same port. The primary restarts
 * a worker that dies, answers the workers' requests for cluster-wide metrics, and on SIGTERM /
 * SIGINT tells every worker to stop accepting and finish its in-flight requests, then exits once
 * they all have.
 *
 * Messages between them (IPC): worker → primary `listening` (url, version) and `metrics?` (id);
 * primary → worker `metrics` (id, body) and `stop`.
 *
 * This module is the primary's whole load (`@rfm/serving/cluster`): node built-ins and the stop-signal
 * helper only, so that it forks as soon as the configuration is checked. The server stack (express,
 * the registry, prom-client…) loads in the workers alone; the primary loads prom-client on the first
 * cluster-wide metrics request and pino after forking. The worker's side is cluster-worker.ts.
 */

export function resolveWorkers(w: Config['workers']): number {
  return w === 'auto' ? availableParallelism() : w;
}

export type ToPrimary =
  | { rfm: 'listening'; url: string; version: number | null; reason: string }
  | { rfm: 'metrics?'; id: number }
  | { rfm: 'session'; change: SessionChange };
export type ToWorker =
  | { rfm: 'metrics'; id: number; contentType: string; body: string }
  | { rfm: 'stop' }
  | { rfm: 'session'; change: SessionChange };

export const isRfm = (m: unknown): m is { rfm: string } =>
  typeof m === 'object' && m !== null && typeof (m as { rfm?: unknown }).rfm === 'string';

export interface PrimaryOptions {
  workers: number;
  /** the primary's logger; without it, one at `logLevel` is created (pino loaded) after the workers are forked */
  logger?: Logger;
  logLevel?: Config['logLevel'];
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
  // the log and prom-client's aggregator arrive after the first fork; until then messages wait on them
  // (wrapped in an object: pino's Logger type is not a valid promise value for TypeScript)
  const logP: Promise<{ log: Logger }> = (
    opts.logger
      ? Promise.resolve(opts.logger)
      : import('./logger.js').then(({ createLogger }) => createLogger({ logLevel: opts.logLevel ?? 'info' }))
  ).then((l) => ({ log: l.child({ component: 'cluster-primary' }) }));
  let aggregatorP: Promise<AggregatorRegistry<RegistryContentType>> | undefined;
  const aggregator = () =>
    (aggregatorP ??= import('prom-client').then((m) => {
      // taken from `default`, which is module.exports for a CommonJS package both in Node and in the
      // CLI bundle (esbuild's chunk has no named exports for it), as ingest/src/duck.ts does
      const { AggregatorRegistry } = m.default as unknown as typeof import('prom-client');
      return new AggregatorRegistry();
    }));
  let stopping = false;
  const listening = new WeakSet<Worker>();
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
        listening.add(w);
        forkRest();
        void logP.then(({ log }) =>
          log.info({ worker: w.id, pid: w.process.pid, version: msg.version }, 'worker listening'),
        );
        if (!announced) {
          announced = true;
          out(
            msg.version === null
              ? `rfm serving at ${msg.url} with ${opts.workers} workers: no model is active yet (${msg.reason})`
              : `rfm serving v${msg.version} at ${msg.url} with ${opts.workers} workers`,
          );
        }
      } else if (msg.rfm === 'metrics?') {
        aggregator()
          .then(async (a) => ({ contentType: a.contentType, body: await a.clusterMetrics() }))
          .then(
            ({ contentType, body }) => send(w, { rfm: 'metrics', id: msg.id, contentType, body }),
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
      void logP.then(({ log }) =>
        log.error(
          { worker: w.id, pid: w.process.pid, code, signal, restart_in_ms: delay },
          `worker ${w.process.pid} exited (${signal ?? `code ${code}`}); starting a new one`,
        ),
      );
      setTimeout(() => {
        if (!stopping) fork();
      }, delay).unref();
    });
  });

  // One worker starts alone, the others once it listens: N workers loading the server stack at once
  // share the cores, and on a 2-core machine the first answer came after about twice a single
  // worker's start (2.3 s against 0.87 s, idle); one after the other, the server answers after one
  // worker's start and the others follow. If the first never listens (it keeps failing), a timer
  // starts the rest anyway.
  let rest = opts.workers - 1;
  const forkRest = () => {
    clearTimeout(fallback);
    for (; rest > 0 && !stopping; rest--) fork();
  };
  const fallback = setTimeout(forkRest, 10_000);
  fork();
  await logP;

  await untilStopSignal({
    signal: opts.signal,
    onSignal: (sig) => out(`rfm: ${sig} received, workers are finishing in-flight requests`),
  });

  stopping = true;
  clearTimeout(fallback);
  const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  if (alive.length === 0) return;
  // a worker still starting has no requests in flight and may not listen to messages yet: a signal stops it
  for (const w of alive) {
    if (listening.has(w)) send(w, { rfm: 'stop' });
    else w.process.kill('SIGTERM');
  }
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

import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { isRfm, type ToPrimary, type ToWorker } from './cluster.js';
import type { ServingMetrics } from './metrics.js';
import type { SessionChange, SessionState, SessionSync } from './ui/session.js';

/** The worker's side of `rfm serve --workers N` (the primary's is cluster.ts, which explains the messages). */

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

/**
 * The server side of bench/lookup.ts, in a process of its own (forked by the bench, never run by
 * hand): a real rfm server on loopback over the bench's registry, logging at info to a file the
 * way `rfm serve` logs to stdout. Bench-only: a PerformanceObserver collects this process's GC
 * pauses (kind and duration, nothing else), and the bench asks for them over the IPC channel, so
 * the figures come from the server's heap, not the client's. Nothing here is in production code.
 */
import { createWriteStream } from 'node:fs';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { createLogger, startServer } from '@rfm/serving';
import { loadConfig } from '@rfm/shared';

const [registry, token, logFile, logLevel] = process.argv.slice(2);
if (!registry || !token || !logFile || !logLevel || !process.send)
  throw new Error('bench/lookup-server.ts is forked by bench/lookup.ts with an IPC channel');

export interface GcPause {
  kind: 'minor' | 'major' | 'incremental' | 'weakcb';
  ms: number;
}
export type ServerMessage =
  | { url: string }
  | { gc: GcPause[]; rss: number; heapUsed: number }
  | { fullGcMs: number; heapUsed: number };

const KINDS: Record<number, GcPause['kind']> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
let pauses: GcPause[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = KINDS[(e as { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'major';
    pauses.push({ kind, ms: e.duration });
  }
}).observe({ entryTypes: ['gc'] });

const config = loadConfig({}, { registry, port: 0, host: '127.0.0.1', logLevel: logLevel as 'info', readToken: token });
const server = await startServer({ config, logger: createLogger(config, createWriteStream(logFile)) });
process.send({ url: server.url } satisfies ServerMessage);
// 'gc': the pauses since the last ask (then forgotten); 'full-gc': time one full GC; 'stop': close and leave
process.on('message', (m) => {
  if (m === 'gc') {
    const mem = process.memoryUsage();
    process.send?.({ gc: pauses, rss: mem.rss, heapUsed: mem.heapUsed } satisfies ServerMessage);
    pauses = [];
  } else if (m === 'full-gc') {
    // what one full mark-compact of this heap costs (forked with --expose-gc): the price of the index's shape
    const t0 = performance.now();
    global.gc?.();
    const fullGcMs = performance.now() - t0;
    process.send?.({ fullGcMs, heapUsed: process.memoryUsage().heapUsed } satisfies ServerMessage);
    pauses = [];
  } else if (m === 'stop') void server.close().then(() => process.exit(0));
});

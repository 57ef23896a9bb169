/**
 * bench/lookup.ts (npm run bench:lookup): GET /api/v1/customers/:cid against a SQLite registry
 * holding RUNS saved runs of CUSTOMERS customers each (default 3 × 1,000,000). Prints: the time to
 * save the runs; in this process, the index build (decoding the latest run and the earlier ones for
 * previous_segment / segment_since), the memory it added and find() alone; then over HTTP, against
 * two real servers each in a process of its own (bench/lookup-server.ts; A never builds the index,
 * B answers the lookups): p50 / p99 / max of /healthz on A, /healthz on B and lookups on B (9 in 10
 * present, 1 in 10 absent → 404), and each server's GC pauses meanwhile. Target: lookup p99 under 5 ms.
 *
 * Until 2026-12 the server ran in this process: client and server shared one event loop and one
 * heap (which also held this process's own index and latency arrays), and fetch() added its own
 * stream and promise garbage to the timed region, so the server's tail included the client's GC.
 * Now the client is node:http with one keep-alive socket, latencies go into preallocated typed
 * arrays, and nothing is parsed in the timed region. The client and the servers still share the
 * machine's cores with whatever else runs (2 cores here): the load average is printed beside each figure.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { Registry } from '@rfm/registry';
import { CustomerIndex, encodeCustomers, summarize, type ScoredCustomers } from '@rfm/runs';
import { makeArtifact } from '@rfm/shared/testing';
import { benchArgs, fail, loadAverage, numberFlag, ROOT } from './args.js';
import type { GcPause, ServerMessage } from './lookup-server.js';

const BENCH = 'bench:lookup';
const USAGE =
  'npm run bench:lookup -- [--customers 1000000] [--runs 3] [--requests 3000] [--log info|silent] [--cpu-prof DIR] ' +
  '[--server-flags="--single-threaded-gc ..."]';
const { values } = benchArgs(BENCH, USAGE, {
  options: {
    customers: { type: 'string' },
    runs: { type: 'string' },
    requests: { type: 'string' },
    log: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'server-flags': { type: 'string' },
  },
});
const LOG = values.log ?? 'info';
if (LOG !== 'info' && LOG !== 'silent') fail(BENCH, `--log must be info or silent, got "${LOG}"`);
/** server B (the one answering lookups) writes a V8 CPU profile there when it stops */
const CPU_PROF = values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined;
/** extra node flags for both servers (e.g. GC tuning to try), printed with the results */
const SERVER_FLAGS = (values['server-flags'] ?? '').split(/\s+/).filter(Boolean);
if (SERVER_FLAGS.some((f) => !f.startsWith('--')))
  fail(BENCH, '--server-flags takes node flags, each starting with --');
const N = numberFlag(BENCH, 'customers', values.customers, 1_000_000);
const RUNS = numberFlag(BENCH, 'runs', values.runs, 3);
const REQUESTS = numberFlag(BENCH, 'requests', values.requests, 3000);
const MODEL = 'customer-segments';
const TOKEN = 'bench-lookup-read-token-0123456789-abcdef';
const SEGMENTS = [
  { cluster: 0, key: 'champions' as const, name: 'Champions' },
  { cluster: 1, key: 'loyal_customers' as const, name: 'Loyal' },
  { cluster: 2, key: 'at_risk' as const, name: 'At risk' },
  { cluster: 3, key: 'hibernating' as const, name: 'Hibernating' },
];
const cidOf = (i: number) => `C${String(i).padStart(8, '0')}`; // sorted by code unit, as ingest sorts

/** Deterministic pseudo-random customers (mulberry32), one run's worth. */
function makeRun(seed: number): ScoredCustomers {
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    cid: Array.from({ length: N }, (_, i) => cidOf(i)),
    recency: Float64Array.from({ length: N }, () => Math.floor(rnd() * 700)),
    frequency: Float64Array.from({ length: N }, () => 1 + Math.floor(rnd() * 40)),
    monetary: Float64Array.from({ length: N }, () => Math.round(rnd() * 500_000) / 100),
    rScore: Uint8Array.from({ length: N }, () => 1 + Math.floor(rnd() * 5)),
    fScore: Uint8Array.from({ length: N }, () => 1 + Math.floor(rnd() * 5)),
    mScore: Uint8Array.from({ length: N }, () => 1 + Math.floor(rnd() * 5)),
    cluster: Uint16Array.from({ length: N }, () => Math.floor(rnd() * 4)),
    distance: Float64Array.from({ length: N }, () => rnd() * 3),
    outlier: Uint8Array.from({ length: N }, () => (rnd() < 0.02 ? 1 : 0)),
  };
}

const pct = (v: ArrayLike<number>, p: number) => {
  const s = Float64Array.from(v).sort();
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const stats = (v: ArrayLike<number>) => `p50 ${ms(pct(v, 50))}, p99 ${ms(pct(v, 99))}, max ${ms(pct(v, 100))}`;
const ms = (x: number) => `${x.toFixed(3)} ms`;
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

/** The index alone, in this process: build time, memory, find() latency (the index is dropped after). */
async function inProcess(file: string): Promise<void> {
  const ro = await Registry.openReadOnly(file);
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const idx = await CustomerIndex.build(ro, MODEL, await ro.runsStateToken());
  const build = performance.now() - t0;
  const rss1 = process.memoryUsage().rss;
  console.log(
    `index build (latest run + ${RUNS - 1} earlier for history): ${ms(build)}; process memory +${mb(rss1 - rss0)} ` +
      `(rss ${mb(rss1)}); load average ${loadAverage()}`,
  );
  const finds = new Float64Array(100_000);
  for (let i = 0; i < finds.length; i++) {
    const cid = cidOf((i * 7919) % Math.floor(N * 1.1));
    const a = performance.now();
    idx.find(cid);
    finds[i] = performance.now() - a;
  }
  console.log(`find() in process, 100,000 lookups: ${stats(finds)}; load average ${loadAverage()}`);
  const tokens = new Float64Array(2000);
  for (let i = 0; i < tokens.length; i++) {
    const a = performance.now();
    await ro.runsStateToken();
    tokens[i] = performance.now() - a;
  }
  console.log(`runs-state token read (once per request): ${stats(tokens)}`);
  await ro.close();
}

/** A server in a child process of its own (bench/lookup-server.ts), its URL, and its GC pauses on demand. */
async function forkServer(file: string, logFile: string, profile = false) {
  const child = fork(join(ROOT, 'bench', 'lookup-server.ts'), [file, TOKEN, logFile, LOG], {
    execArgv: [
      '--conditions=rfm-source',
      '--expose-gc',
      '--import',
      'tsx',
      ...SERVER_FLAGS,
      ...(profile && CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = () =>
    new Promise<ServerMessage>((ok, ko) => {
      child.once('message', (m) => ok(m as ServerMessage));
      child.once('exit', (code) => ko(new Error(`bench server exited with ${code}`)));
    });
  const first = await next();
  if (!('url' in first)) throw new Error('bench server did not send its URL');
  /** send `message` and wait for the answer that carries `key` */
  const ask = async <K extends 'gc' | 'fullGcMs'>(message: string, key: K) => {
    const m = next();
    child.send(message);
    const r = await m;
    if (!(key in r)) throw new Error(`bench server did not answer "${message}"`);
    return r as Extract<ServerMessage, Record<K, unknown>>;
  };
  return {
    url: first.url,
    /** GC pauses since the last call, and memory now */
    gc: () => ask('gc', 'gc'),
    /** one full GC, timed in the server */
    fullGc: () => ask('full-gc', 'fullGcMs'),
    stop: () =>
      new Promise<void>((ok) => {
        child.once('exit', () => ok());
        child.send('stop');
      }),
  };
}

/**
 * One GET over a keep-alive connection (one socket: sequential requests, like a CRM calling in a
 * loop), timed from the call to the last byte of the body; no JSON parse, no allocation beyond
 * node:http's own in the timed region.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((ok, ko) => {
    const req = httpGet(url, { agent, headers }, (res) => {
      res.on('data', () => {});
      res.on('end', () => ok(res.statusCode ?? 0));
      res.on('error', ko);
    });
    req.on('error', ko);
  });
}

/**
 * Over HTTP: two servers over the same registry, in their own processes: A never gets a lookup (no
 * index in its heap), B answers lookups (the index of 1M customers in its heap). /healthz on A,
 * /healthz on B and lookups on B are sent in alternating blocks of 100, so all three see the same
 * machine load; if the index's heap made B slow, /healthz on B would be slower than on A.
 */
async function overHttp(file: string, logFile: string): Promise<void> {
  const [a, b] = await Promise.all([forkServer(file, `${logFile}.a`), forkServer(file, `${logFile}.b`, true)]);
  const clientGc: number[] = [];
  const observer = new PerformanceObserver((l) => {
    for (const e of l.getEntries()) clientGc.push(e.duration);
  });
  try {
    const headers = { authorization: `Bearer ${TOKEN}` };
    let t0 = performance.now();
    const status = await get(`${b.url}/api/v1/customers/${cidOf(12345 % N)}`, headers);
    console.log(`first request (builds server B's index): ${ms(performance.now() - t0)} → ${status}`);
    const lookupUrl = (i: number) => `${b.url}/api/v1/customers/${cidOf((i * 104_729) % Math.floor(N * 1.1))}`;
    for (let i = 0; i < 300; i++) {
      await get(`${a.url}/healthz`);
      await get(`${b.url}/healthz`);
      await get(lookupUrl(i), headers);
    } // warm both servers' JIT and the client's sockets
    await a.gc();
    await b.gc();
    global.gc?.();
    observer.observe({ entryTypes: ['gc'] });
    const healthA = new Float64Array(REQUESTS);
    const healthB = new Float64Array(REQUESTS);
    const lookups = new Float64Array(REQUESTS);
    let found = 0;
    t0 = performance.now();
    for (let block = 0; block < REQUESTS; block += 100) {
      const end = Math.min(REQUESTS, block + 100);
      for (let i = block; i < end; i++) {
        const s = performance.now();
        await get(`${a.url}/healthz`);
        healthA[i] = performance.now() - s;
      }
      for (let i = block; i < end; i++) {
        const s = performance.now();
        await get(`${b.url}/healthz`);
        healthB[i] = performance.now() - s;
      }
      for (let i = block; i < end; i++) {
        const url = lookupUrl(i); // about 1 in 10 past the last customer: 404
        const s = performance.now();
        const st = await get(url, headers);
        lookups[i] = performance.now() - s;
        if (st === 200) found++;
        else if (st !== 404) throw new Error(`unexpected status ${st}`);
      }
    }
    const wall = performance.now() - t0;
    observer.disconnect();
    const [gcA, gcB] = [await a.gc(), await b.gc()];
    console.log(
      `${REQUESTS} requests of each kind, sequential, in alternating blocks of 100, keep-alive` +
        `${SERVER_FLAGS.length ? `, servers run with ${SERVER_FLAGS.join(' ')}` : ''}; load average ${loadAverage()}`,
    );
    console.log(`  A GET /healthz (no index in heap):     ${stats(healthA)}`);
    console.log(`  B GET /healthz (index of ${N.toLocaleString('en')} in heap): ${stats(healthB)}`);
    console.log(`  B GET /api/v1/customers/:cid (${found} found, ${REQUESTS - found} 404): ${stats(lookups)}`);
    console.log(`  server A: ${gcLine(gcA.gc, wall)}; rss ${mb(gcA.rss)}, heap used ${mb(gcA.heapUsed)}`);
    console.log(`  server B: ${gcLine(gcB.gc, wall)}; rss ${mb(gcB.rss)}, heap used ${mb(gcB.heapUsed)}`);
    console.log(
      `  client (this process) GC: ${clientGc.length} pauses, total ${ms(clientGc.reduce((x, y) => x + y, 0))}`,
    );
    const [fullA, fullB] = [await a.fullGc(), await b.fullGc()];
    console.log(
      `  one full GC (mark-compact) after the loops: server A ${ms(fullA.fullGcMs)} (heap used ${mb(fullA.heapUsed)} after), ` +
        `server B ${ms(fullB.fullGcMs)} (heap used ${mb(fullB.heapUsed)} after); load average ${loadAverage()}`,
    );
    console.log(pct(lookups, 99) < 5 ? 'lookup p99 under 5 ms: met' : 'lookup p99 under 5 ms: NOT met on this run');
  } finally {
    agent.destroy();
    await Promise.all([a.stop(), b.stop()]);
  }
}

/** GC pauses during the timed loops: count, total, max, per kind. */
function gcLine(pauses: GcPause[], wallMs: number): string {
  if (!pauses.length) return 'no GC pauses';
  const kinds = new Map<string, number[]>();
  for (const p of pauses) kinds.set(p.kind, [...(kinds.get(p.kind) ?? []), p.ms]);
  const total = pauses.reduce((x, p) => x + p.ms, 0);
  const parts = [...kinds].map(([k, v]) => `${v.length} ${k} (max ${ms(Math.max(...v))})`);
  return `GC ${pauses.length} pauses, total ${ms(total)} (${((100 * total) / wallMs).toFixed(1)}% of the loops' wall time): ${parts.join(', ')}`;
}

const dir = mkdtempSync(join(tmpdir(), 'rfm-bench-lookup-'));
const file = join(dir, 'registry.db');
try {
  const reg = await Registry.open(file);
  const t0 = performance.now();
  await reg.register({ modelName: MODEL, artifact: makeArtifact(), actor: 'bench' });
  for (let r = 0; r < RUNS; r++) {
    const c = makeRun(r + 1);
    const date = `2026-0${1 + (r % 9)}-28`;
    await reg.saveRun(
      {
        modelName: MODEL,
        version: 1,
        exportName: `${date}.csv`,
        exportSha256: 'c'.repeat(64),
        snapshotDate: date,
        rowsRead: N * 5,
        rowsDropped: {},
        customers: N,
        summary: summarize(c, SEGMENTS),
        facts: {
          exportName: `${date}.csv`,
          exportSha256: 'c'.repeat(64),
          snapshotDate: date,
          rowsRead: N * 5,
          rowsDropped: {},
          customers: N,
          frequencyBasis: 'invoices',
          modelName: MODEL,
          version: 1,
        },
        customersBlob: encodeCustomers(c),
        customersEncoding: 'rfm-customers-v1',
      },
      'bench',
    );
  }
  await reg.close();
  console.log(
    `${BENCH}: ${RUNS} saved runs of ${N.toLocaleString('en')} customers saved in ${ms(performance.now() - t0)}`,
  );

  await inProcess(file);
  await overHttp(file, join(dir, 'server.log'));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * bench/lookup.ts (npm run bench:lookup): GET /api/v1/customers/:cid against a SQLite registry
 * holding RUNS saved runs of CUSTOMERS customers each (default 3 × 1,000,000), through a real
 * server on loopback. Prints: the time to save the runs, the index build (the first lookup after a
 * change: decoding the latest run and the earlier ones for previous_segment / segment_since), the
 * process memory it added, then p50 / p99 / max of sequential lookups (9 in 10 present, 1 in 10
 * absent → 404) over HTTP with keep-alive, and of the in-process find() alone, each with the load
 * average. Target: p99 under 5 ms over HTTP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '@rfm/registry';
import { CustomerIndex, encodeCustomers, summarize, type ScoredCustomers } from '@rfm/runs';
import { extent, loadConfig } from '@rfm/shared';
import { makeArtifact } from '@rfm/shared/testing';
import { silentLogger, startServer } from '@rfm/serving';
import { benchArgs, loadAverage, numberFlag } from './args.js';

const BENCH = 'bench:lookup';
const USAGE = 'npm run bench:lookup -- [--customers 1000000] [--runs 3] [--requests 3000]';
const { values } = benchArgs(BENCH, USAGE, {
  options: { customers: { type: 'string' }, runs: { type: 'string' }, requests: { type: 'string' } },
});
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

const pct = (v: number[], p: number) => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (x: number) => `${x.toFixed(3)} ms`;
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

const dir = mkdtempSync(join(tmpdir(), 'rfm-bench-lookup-'));
const file = join(dir, 'registry.db');
try {
  const reg = await Registry.open(file);
  let t0 = performance.now();
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

  // the index alone, in this process: build time, memory, find() latency
  const ro = await Registry.openReadOnly(file);
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  t0 = performance.now();
  const idx = await CustomerIndex.build(ro, MODEL, await ro.runsStateToken());
  const build = performance.now() - t0;
  const rss1 = process.memoryUsage().rss;
  console.log(
    `index build (latest run + ${RUNS - 1} earlier for history): ${ms(build)}; process memory +${mb(rss1 - rss0)} ` +
      `(rss ${mb(rss1)}); load average ${loadAverage()}`,
  );
  const finds: number[] = [];
  for (let i = 0; i < 100_000; i++) {
    const cid = cidOf((i * 7919) % Math.floor(N * 1.1));
    const a = performance.now();
    idx.find(cid);
    finds.push(performance.now() - a);
  }
  console.log(
    `find() in process, 100,000 lookups: p50 ${ms(pct(finds, 50))}, p99 ${ms(pct(finds, 99))}, max ${ms(extent(finds).max)}; load average ${loadAverage()}`,
  );
  const tokens: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const a = performance.now();
    await ro.runsStateToken();
    tokens.push(performance.now() - a);
  }
  console.log(`runs-state token read (once per request): p50 ${ms(pct(tokens, 50))}, p99 ${ms(pct(tokens, 99))}`);
  await ro.close();

  // over HTTP: a real server (its own index, built by the first request)
  const server = await startServer({
    config: loadConfig({}, { registry: file, port: 0, host: '127.0.0.1', logLevel: 'silent', readToken: TOKEN }),
    logger: silentLogger(),
  });
  try {
    const headers = { authorization: `Bearer ${TOKEN}` };
    t0 = performance.now();
    const first = await fetch(`${server.url}/api/v1/customers/${cidOf(12345)}`, { headers });
    await first.text();
    console.log(`first request (builds the server's index): ${ms(performance.now() - t0)} → ${first.status}`);
    // the same server's cheapest route, sent the same way: what any request costs on this machine now
    const base: number[] = [];
    for (let i = 0; i < Math.min(REQUESTS, 1000); i++) {
      const a = performance.now();
      await (await fetch(`${server.url}/healthz`)).arrayBuffer();
      base.push(performance.now() - a);
    }
    console.log(
      `baseline GET /healthz, ${base.length} sequential: p50 ${ms(pct(base, 50))}, p99 ${ms(pct(base, 99))}; load average ${loadAverage()}`,
    );
    const lat: number[] = [];
    let found = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const cid = cidOf((i * 104_729) % Math.floor(N * 1.1)); // about 1 in 10 past the last customer: 404
      const a = performance.now();
      const res = await fetch(`${server.url}/api/v1/customers/${cid}`, { headers });
      await res.arrayBuffer();
      lat.push(performance.now() - a);
      if (res.status === 200) found++;
      else if (res.status !== 404) throw new Error(`unexpected status ${res.status}`);
    }
    console.log(
      `HTTP GET /api/v1/customers/:cid, ${REQUESTS} sequential (${found} found, ${REQUESTS - found} 404): ` +
        `p50 ${ms(pct(lat, 50))}, p99 ${ms(pct(lat, 99))}, max ${ms(extent(lat).max)}; ` +
        `server rss ${mb(process.memoryUsage().rss)}; load average ${loadAverage()}`,
    );
    console.log(pct(lat, 99) < 5 ? 'p99 under 5 ms: met' : 'p99 under 5 ms: NOT met on this run');
  } finally {
    await server.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * bench/runs-download (npm run bench:runs-download) — does downloading a big saved run stall
 * predictions? A server in this process (real HTTP on 127.0.0.1, a fresh SQLite registry) holds
 * one saved run of `--customers` synthetic customers (default 1,000,000; gen:data-shaped) and its
 * diff partner; single-customer predicts are sent one after another, first idle, then while
 * GET /api/v1/runs/:id/customers and then /diff are answered. Prints predict p50/p99/max for each
 * phase, the event loop's longest delay, and the load average. Figures, not pass/fail.
 *
 *   npm run bench:runs-download -- [--customers 1000000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Registry } from '@rfm/registry';
import { newRunInput, scoreTable, summarize } from '@rfm/runs';
import { startServer } from '@rfm/serving';
import { loadConfig } from '@rfm/shared';
import { makeArtifact } from '@rfm/shared/testing';
import { benchArgs, numberFlag } from './args.js';
import { syntheticTable } from './synthetic-customers.js';

const USAGE = 'npm run bench:runs-download -- [--customers 1000000]';
const { values: opt } = benchArgs('bench/runs-download', USAGE, { options: { customers: { type: 'string' } } });
const N = numberFlag('bench/runs-download', 'customers', opt.customers, 1_000_000);
const TOKEN = 'bench-admin-token-0123456789abcdef0123456789';
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const tmp = mkdtempSync(join(tmpdir(), 'rfm-bench-download-'));
try {
  const file = join(tmp, 'registry.db');
  const reg = await Registry.open(file);
  const ids: string[] = [];
  try {
    await reg.register({ modelName: 'customer-segments', artifact: makeArtifact(), actor: 'bench' });
    await reg.setAlias('customer-segments', 'production', 1, { actor: 'bench', reason: 'bench' });
    const model = await reg.loadModel('customer-segments', 1);
    for (const i of [0, 1]) {
      const customers = scoreTable(syntheticTable(N, 7 + i, i * 30), model.artifact);
      const facts = {
        exportName: `synthetic-${i}.csv`,
        exportSha256: String(i).repeat(64),
        snapshotDate: `2026-0${i + 1}-01`,
        rowsRead: N * 10,
        rowsDropped: {},
        customers: N,
        frequencyBasis: 'invoices' as const,
        modelName: 'customer-segments',
        version: 1,
      };
      const input = newRunInput({ facts, customers, summary: summarize(customers, model.artifact.segments) });
      ids.push((await reg.saveRun(input, 'bench')).id);
    }
  } finally {
    await reg.close();
  }
  const config = loadConfig({}, { registry: file, port: 0, host: '127.0.0.1', logLevel: 'silent', adminToken: TOKEN });
  const server = await startServer({ config });
  const auth = { authorization: `Bearer ${TOKEN}` };
  const predict = async () => {
    const t = performance.now();
    const r = await fetch(`${server.url}/api/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"recency":10,"frequency":3,"monetary":500}',
    });
    await r.text();
    return performance.now() - t;
  };
  const stats = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(1);
    return `n ${s.length}, p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${s.at(-1)!.toFixed(1)} ms`;
  };
  /** predicts one after another until `work` settles; its duration and the event loop's worst delay */
  const during = async (what: string, work: () => Promise<number>) => {
    const lat: number[] = [];
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const t0 = performance.now();
    let done = false;
    const w = work().finally(() => {
      done = true;
    });
    while (!done) lat.push(await predict());
    const bytes = await w;
    h.disable();
    console.log(
      `  ${what.padEnd(34)} ${stats(lat)}; event loop max delay ${(h.max / 1e6).toFixed(0)} ms; ` +
        `${(bytes / 1e6).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(2)} s (load ${load()})`,
    );
  };
  try {
    console.log(`bench/runs-download — ${N.toLocaleString('en-US')} customers per run, load average ${load()}`);
    for (let i = 0; i < 50; i++) await predict(); // warm-up
    const idle: number[] = [];
    for (let i = 0; i < 500; i++) idle.push(await predict());
    console.log(`  ${'idle'.padEnd(34)} ${stats(idle)}`);
    const get = (path: string) => async () => {
      const r = await fetch(`${server.url}${path}`, { headers: auth });
      if (r.status !== 200) throw new Error(`${path}: ${r.status} ${await r.text()}`);
      let bytes = 0;
      for await (const c of r.body!) bytes += (c as Uint8Array).byteLength;
      return bytes;
    };
    const t = performance.now();
    const alone = await get(`/api/v1/runs/${ids[1]}/customers`)();
    console.log(
      `  ${'GET …/customers alone'.padEnd(34)} ${(alone / 1e6).toFixed(1)} MB in ${((performance.now() - t) / 1000).toFixed(2)} s`,
    );
    await during('during GET …/customers (CSV)', get(`/api/v1/runs/${ids[1]}/customers`));
    await during('during GET …/diff', get(`/api/v1/runs/${ids[1]}/diff?against=${ids[0]}`));
  } finally {
    await server.close({ drainMs: 500 });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

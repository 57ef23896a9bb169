/**
 * bench/serve-while-scoring — single-customer predict latency of a real `rfm serve` process, idle
 * and while a large scoring run (POST /api/v1/runs, default 10M transaction rows) executes inside
 * it. The run goes to a child process at lower priority with DuckDB on one thread (serving/src/runs);
 * this measures whether predictions still get the CPU they need. Goal: p99 < 50 ms during the run.
 *
 *   npm run bench:serve-while-scoring -- [--rows 10000000] [--customers 500000] [--connections 4] [--rate 200]
 *                                        [--idle-seconds 15] [--max-minutes 10] [--json]
 *
 * The export is generated with bench/gen-data into a private temp folder and deleted at the end,
 * with the registry and everything else the bench creates; the server runs from the built CLI (cli/bin/rfm.js, built
 * first) on loopback. Prints p50/p99/max and request counts for both phases with the load average
 * beside them, the run's outcome and wall time, and a verdict.
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '@rfm/registry';
import { makeArtifact } from '@rfm/shared/testing';
import { benchArgs, buildFirst, numberFlag, ROOT } from './args.js';
import { generate } from './gen-data.js';

const B = 'bench/serve-while-scoring';
const USAGE =
  'npm run bench:serve-while-scoring -- [--rows 10000000] [--customers 500000] [--connections 4] [--rate 200] [--idle-seconds 15] [--max-minutes 10] [--json]';
const { values: opt } = benchArgs(B, USAGE, {
  options: {
    rows: { type: 'string' },
    customers: { type: 'string' },
    connections: { type: 'string' },
    rate: { type: 'string' },
    'idle-seconds': { type: 'string' },
    'max-minutes': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const ROWS = numberFlag(B, 'rows', opt.rows, 10_000_000);
const CUSTOMERS = numberFlag(B, 'customers', opt.customers, 500_000);
const CONNECTIONS = numberFlag(B, 'connections', opt.connections, 4);
const RATE = numberFlag(B, 'rate', opt.rate, 200);
const IDLE_S = numberFlag(B, 'idle-seconds', opt['idle-seconds'], 15);
const MAX_MS = numberFlag(B, 'max-minutes', opt['max-minutes'], 10) * 60_000;
const GOAL_P99_MS = 50;
const TOKEN = `bench-${'x'.repeat(40)}`;
const MODEL = 'customer-segments';
const BODY = JSON.stringify({ recency: 30, frequency: 4, monetary: 420.5 });

interface Phase {
  requests: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
  load1: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });

function call(
  url: string,
  method: string,
  path: string,
  body?: string | NodeJS.ReadableStream,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method, agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    if (typeof body === 'string') req.end(body);
    else if (body) body.pipe(req);
    else req.end();
  });
}

/**
 * Single predictions paced at RATE a second over CONNECTIONS connections until `stop()` says so
 * (a steady client load, not a saturating one: the run is meant to use the CPU requests leave).
 * Each request is timed from when it is sent; a late slot is sent at once, not skipped.
 */
async function measure(url: string, stop: () => boolean): Promise<Phase> {
  const lat: number[] = [];
  let errors = 0;
  const loads: number[] = [];
  const sampler = setInterval(() => loads.push(loadavg()[0]!), 1000);
  const every = (CONNECTIONS * 1000) / RATE;
  const worker = async (w: number) => {
    let next = performance.now() + (w * every) / CONNECTIONS;
    while (!stop()) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      next += every;
      const t0 = performance.now();
      try {
        const r = await call(url, 'POST', '/api/v1/predict', BODY, { 'content-type': 'application/json' });
        if (r.status !== 200) errors++;
      } catch {
        errors++;
      }
      lat.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, w) => worker(w)));
  clearInterval(sampler);
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? Number.NaN;
  return {
    requests: lat.length,
    errors,
    p50: q(0.5),
    p99: q(0.99),
    max: lat.at(-1) ?? Number.NaN,
    load1: loads.length ? loads.reduce((a, b) => a + b, 0) / loads.length : loadavg()[0]!,
  };
}

async function main(): Promise<void> {
  buildFirst(B);
  const dir = mkdtempSync(join(tmpdir(), 'rfm-bench-sws-'));
  const reg = join(dir, 'registry.db');
  const csv = join(dir, 'export.csv');
  let server: ReturnType<typeof spawn> | null = null;
  try {
    process.stderr.write(`${B}: generating ${ROWS.toLocaleString('en-US')} rows…\n`);
    const gen = await generate({ rows: ROWS, customers: CUSTOMERS, out: csv, seed: 11 });
    const r = await Registry.open(reg);
    await r.register({ modelName: MODEL, artifact: makeArtifact(), actor: 'bench' });
    await r.close();

    server = spawn(process.execPath, ['cli/bin/rfm.js', 'serve', '--registry', reg, '--port', '0'], {
      cwd: ROOT,
      env: { ...process.env, RFM_ADMIN_TOKEN: TOKEN, RFM_LOG_LEVEL: 'warn', TMPDIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    server.stdout!.on('data', (d) => (out += d));
    server.stderr!.on('data', (d) => (out += d));
    const t0 = Date.now();
    while (!/http:\/\/127\.0\.0\.1:\d+/.test(out)) {
      if (server.exitCode !== null || Date.now() - t0 > 60_000) throw new Error(`rfm serve did not start:\n${out}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;

    // warm-up, then idle
    const warm = Date.now() + 3000;
    await measure(url, () => Date.now() > warm);
    const idleEnd = Date.now() + IDLE_S * 1000;
    const idle = await measure(url, () => Date.now() > idleEnd);

    // the run: upload streamed from disk, then predictions until it ends
    const auth = { authorization: `Bearer ${TOKEN}` };
    const runStart = Date.now();
    const posted = await call(url, 'POST', '/api/v1/runs', createReadStream(csv), {
      ...auth,
      'content-type': 'text/csv',
      'content-length': String(statSync(csv).size),
    });
    if (posted.status !== 202) throw new Error(`POST /api/v1/runs answered ${posted.status}: ${posted.text}`);
    const uploadMs = Date.now() - runStart;
    const id = (JSON.parse(posted.text) as { id: string }).id;
    let state = 'queued';
    let done = false;
    let peakPhase = '';
    const poll = (async () => {
      while (!done) {
        const g = await call(url, 'GET', `/api/v1/runs/${id}`, undefined, auth);
        const j = JSON.parse(g.text) as { state: string; phase: string | null };
        state = j.state;
        if (j.phase) peakPhase = j.phase;
        if (!['queued', 'running'].includes(state) || Date.now() - runStart > MAX_MS) done = true;
        else await new Promise((res) => setTimeout(res, 250));
      }
    })();
    const during = await measure(url, () => done);
    await poll;
    const runMs = Date.now() - runStart;
    const final = JSON.parse((await call(url, 'GET', `/api/v1/runs/${id}`, undefined, auth)).text) as {
      state: string;
      error: unknown;
      facts?: { rowsRead: number; customers: number };
    };

    const verdict = during.p99 < GOAL_P99_MS && final.state === 'succeeded';
    const result = {
      rows: gen.rows,
      customers_generated: CUSTOMERS,
      export_bytes: statSync(csv).size,
      connections: CONNECTIONS,
      rate_per_s: RATE,
      idle,
      during,
      run: {
        id,
        state: final.state,
        last_phase: peakPhase,
        upload_ms: uploadMs,
        wall_ms: runMs,
        facts: final.facts,
        error: final.error,
      },
      goal_p99_ms: GOAL_P99_MS,
      verdict: verdict ? 'PASS' : 'FAIL',
    };
    if (opt.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      const f = (p: Phase) =>
        `${p.requests.toLocaleString('en-US')} req, ${p.errors} errors, p50 ${p.p50.toFixed(1)} ms, p99 ${p.p99.toFixed(1)} ms, ` +
        `max ${p.max.toFixed(1)} ms (load avg 1 min ${p.load1.toFixed(2)})`;
      process.stdout.write(
        `serve while scoring — ${gen.rows.toLocaleString('en-US')} rows (${(result.export_bytes / 1e6).toFixed(0)} MB CSV), ` +
          `single predictions at ${RATE}/s over ${CONNECTIONS} connections\n` +
          `  idle:            ${f(idle)}\n` +
          `  during the run:  ${f(during)}\n` +
          `  run ${id}: ${final.state} in ${(runMs / 1000).toFixed(1)} s (upload ${(uploadMs / 1000).toFixed(1)} s)` +
          `${final.facts ? `, ${final.facts.rowsRead.toLocaleString('en-US')} rows, ${final.facts.customers.toLocaleString('en-US')} customers` : ''}\n` +
          `  verdict: ${verdict ? 'PASS' : 'FAIL'} — p99 during the run ${during.p99.toFixed(1)} ms, goal < ${GOAL_P99_MS} ms` +
          `${final.state === 'succeeded' ? '' : `; the run did not succeed (${JSON.stringify(final.error)})`}\n`,
      );
    }
  } finally {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((res) => {
        server!.once('close', res);
        setTimeout(() => server!.kill('SIGKILL'), 10_000).unref();
      });
    }
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${B}: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

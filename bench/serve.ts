/**
 * bench/serve — rfm's POST /api/v1/predict against the Flask + scikit-learn baseline, a bare
 * express route and a bare node:http handler, all with the same number of worker processes, the
 * same request body and wrk on loopback; then a 10,000-customer batch, and promotions/rollbacks
 * under load. Prints figures, not pass/fail.
 *
 *   npm run bench:serve -- EXPORT --peer DIR [--python PATH] [--seconds 10] [--connections 32] [--workers 2] [--rounds 3]
 *                            [--only startup,contenders,fastpath,batch,swap]
 *
 * EXPORT is the export both models are trained on, --peer the baseline's folder (train.py, app.py).
 * Needs wrk on PATH, and a Python (--python, else python3 on PATH) with flask, gunicorn, sklearn and
 * pandas (Debian: python3-flask, gunicorn, python3-sklearn, python3-pandas). rfm is built first. Every server listens on 127.0.0.1 and is stopped at the end.
 * Start-up (`rfm --help`, `rfm serve` until its first answer) is timed too, and rfm's fast path is
 * measured against bare node:http in --rounds alternating runs (medians; one run decides nothing on
 * a shared machine), with the load average printed beside the figures. `--only` runs some sections
 * (default: all; --peer and the Python are needed for `contenders` only).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { extent, Predictor } from '@rfm/shared';
import { Registry } from '@rfm/registry';
import { benchArgs, buildFirst, exportArg, fail, numberFlag, peerArg, pythonArg, ROOT } from './args.js';

const HERE = join(ROOT, 'bench', 'serve');
const MODEL = 'customer-segments';
const BODY = '{"CID":12346,"Recency":325,"Monetary":77183.6,"Frequency":1}';

// ---- arguments --------------------------------------------------------------------------------
const USAGE =
  'npm run bench:serve -- EXPORT --peer DIR [--python PATH] [--seconds 10] [--connections 32] [--workers 2] [--rounds 3] ' +
  '[--only startup,contenders,fastpath,batch,swap]';
const { values: opt, positionals } = benchArgs('bench/serve', USAGE, {
  options: {
    peer: { type: 'string' },
    python: { type: 'string' },
    seconds: { type: 'string' },
    connections: { type: 'string' },
    workers: { type: 'string' },
    rounds: { type: 'string' },
    only: { type: 'string' },
  },
  allowPositionals: true,
});
const SECTIONS = ['startup', 'contenders', 'fastpath', 'batch', 'swap'] as const;
const ONLY = new Set<string>(opt.only === undefined ? SECTIONS : opt.only.split(',').map((x) => x.trim()));
for (const x of ONLY)
  if (!(SECTIONS as readonly string[]).includes(x))
    fail('bench/serve', `--only: unknown section "${x}" (sections: ${SECTIONS.join(', ')})`);
const EXPORT = exportArg('bench/serve', positionals[0], USAGE);
const PEER = ONLY.has('contenders') ? peerArg('bench/serve', opt.peer) : '';
const PYTHON = ONLY.has('contenders')
  ? pythonArg('bench/serve', opt.python, ['flask', 'gunicorn', 'sklearn', 'pandas'])
  : '';
const SECONDS = numberFlag('bench/serve', 'seconds', opt.seconds, 10);
const CONNS = numberFlag('bench/serve', 'connections', opt.connections, 32);
const WORKERS = numberFlag('bench/serve', 'workers', opt.workers, 2);
const ROUNDS = numberFlag('bench/serve', 'rounds', opt.rounds, 3);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
if (spawnSync('wrk', ['--version']).error) fail('bench/serve', 'wrk is not on PATH (Debian: apt-get install wrk)');

const tmp = mkdtempSync(join(tmpdir(), 'rfm-bench-serve-'));
const children = new Set<ChildProcess>();
const cleanup = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
};
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

const log = (s: string) => process.stdout.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

function start(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): ChildProcess {
  const c = spawn(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.add(c);
  return c;
}

async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null) return;
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(t);
  children.delete(c);
}

function post(
  port: number,
  path: string,
  body: string | Buffer,
  type = 'application/json',
  agent?: Agent,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((res, rej) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': type, 'content-length': Buffer.byteLength(body) },
      },
      (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (d: Buffer) => chunks.push(d));
        r.on('end', () => res({ status: r.statusCode!, headers: r.headers, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', rej);
    req.end(body);
  });
}

async function waitReady(port: number, path: string, what: string): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    try {
      if ((await post(port, path, BODY)).status === 200) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() - t0 > 180_000) throw new Error(`${what} did not answer within 180 s`);
    await sleep(200);
  }
}

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
}

function ms(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

function wrk(port: number, path: string, seconds: number): WrkResult {
  const out = execFileSync(
    'wrk',
    [
      '-t2',
      `-c${CONNS}`,
      `-d${seconds}s`,
      '--latency',
      '-s',
      join(HERE, 'post.lua'),
      `http://127.0.0.1:${port}${path}`,
    ],
    { encoding: 'utf8' },
  );
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  const non2xx = num(/Non-2xx or 3xx responses:\s+(\d+)/);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50: ms(/\n\s+50%\s+(\S+)/.exec(out)?.[1] ?? ''),
    p99: ms(/\n\s+99%\s+(\S+)/.exec(out)?.[1] ?? ''),
    requests: num(/(\d+) requests in/),
    errors: (Number.isNaN(non2xx) ? 0 : non2xx) + (sock ? sock.slice(1).reduce((s, x) => s + Number(x), 0) : 0),
  };
}

/** Warm up (JIT, connections), then measure. */
function measure(port: number, path: string): WrkResult {
  wrk(port, path, 2);
  return wrk(port, path, SECONDS);
}

const line = (name: string, r: WrkResult) =>
  log(
    `  ${name.padEnd(34)} ${fmt(r.rps).padStart(8)} req/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms   ` +
      `(${fmt(r.requests)} requests, ${r.errors} errors)`,
  );

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

/** Process start → exit of `rfm --help` (ms). */
function helpMs(): number {
  const t = performance.now();
  execFileSync(process.execPath, ['cli/bin/rfm.js', '--help'], { cwd: ROOT, stdio: 'ignore' });
  return performance.now() - t;
}

/** Process start → first 200 from POST /api/v1/predict of `rfm serve` (ms), polling every 10 ms. */
async function serveReadyMs(reg: string, workers: number): Promise<number> {
  const port = await freePort();
  const t = performance.now();
  const c = start(
    process.execPath,
    ['cli/bin/rfm.js', 'serve', '--registry', reg, '--port', String(port), '--workers', String(workers)],
    { env: { RFM_LOG_LEVEL: 'warn' } },
  );
  try {
    for (;;) {
      try {
        if ((await post(port, '/api/v1/predict', BODY)).status === 200) return performance.now() - t;
      } catch {
        /* not listening yet */
      }
      if (performance.now() - t > 60_000) throw new Error('rfm serve did not answer within 60 s');
      await sleep(10);
    }
  } finally {
    await stop(c);
  }
}

/** The single-run table: the baseline, bare express, bare node:http and rfm's express route alone. */
async function measureContenders(reg: string, peerModel: string) {
  log('');
  log(`single-customer POST, ${WORKERS} workers each (load average ${load()}):`);

  // (a) the baseline
  let port = await freePort();
  let c = start(
    PYTHON,
    ['-m', 'gunicorn', '-w', String(WORKERS), '-b', `127.0.0.1:${port}`, '--log-level', 'warning', 'app:app'],
    {
      cwd: PEER,
      env: { MODEL_DIR: peerModel },
    },
  );
  await waitReady(port, '/predict', 'gunicorn');
  const flask = measure(port, '/predict');
  await stop(c);
  line('Flask + scikit-learn (gunicorn)', flask);

  // (b) bare express, (c) bare node:http
  port = await freePort();
  c = start(process.execPath, [join(HERE, 'bare-express.mjs'), String(port), String(WORKERS)]);
  await waitReady(port, '/api/v1/predict', 'bare express');
  const bareExpress = measure(port, '/api/v1/predict');
  await stop(c);
  line('bare express + express.json()', bareExpress);
  port = await freePort();
  c = start(process.execPath, [join(HERE, 'bare-http.mjs'), String(port), String(WORKERS)]);
  await waitReady(port, '/', 'bare node:http');
  const bareHttp = measure(port, '/');
  await stop(c);
  line('bare node:http', bareHttp);

  // rfm with its scoring fast path turned off: the express route alone
  port = await freePort();
  c = start(
    process.execPath,
    ['cli/bin/rfm.js', 'serve', '--registry', reg, '--port', String(port), '--workers', String(WORKERS)],
    { env: { RFM_LOG_LEVEL: 'warn', RFM_FAST_PATH: '0' } },
  );
  await waitReady(port, '/api/v1/predict', 'rfm serve (express only)');
  const rfmExpress = measure(port, '/api/v1/predict');
  await stop(c);
  line('rfm, express route only', rfmExpress);
  return { flask, bareExpress, bareHttp, rfmExpress, rfm: undefined as WrkResult | undefined };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

// ---- the run ----------------------------------------------------------------------------------
async function main() {
  log(
    `bench/serve — ${new Date().toISOString()} — node ${process.version}, ${WORKERS} workers per server, wrk -t2 -c${CONNS} -d${SECONDS}s on 127.0.0.1`,
  );
  log(`export: ${EXPORT}`);
  log(`body:   ${BODY}`);
  buildFirst('bench/serve');

  // models: rfm (two versions, for the swap test) and the peer's, on the same export
  const reg = join(tmp, 'registry.db');
  let t0 = Date.now();
  execFileSync(process.execPath, ['cli/bin/rfm.js', 'train', EXPORT, '--k', '4', '--seed', '42', '--registry', reg], {
    cwd: ROOT,
    stdio: 'ignore',
    env: { ...process.env, RFM_LOG_LEVEL: 'warn' },
  });
  const rfmTrainMs = Date.now() - t0;
  if (ONLY.has('swap'))
    execFileSync(process.execPath, ['cli/bin/rfm.js', 'train', EXPORT, '--k', '5', '--seed', '7', '--registry', reg], {
      cwd: ROOT,
      stdio: 'ignore',
      env: { ...process.env, RFM_LOG_LEVEL: 'warn' },
    });
  const peerModel = join(tmp, 'peer');
  let peerTrainMs = Number.NaN;
  if (ONLY.has('contenders')) {
    t0 = Date.now();
    execFileSync(PYTHON, [join(PEER, 'train.py'), EXPORT, peerModel, '--k', '4', '--seed', '42'], {
      cwd: PEER,
      stdio: 'ignore',
    });
    peerTrainMs = Date.now() - t0;
  }
  log(
    `training (k=4, wall time incl. process start): rfm ${fmt(rfmTrainMs)} ms, Flask baseline's train.py ${
      Number.isNaN(peerTrainMs) ? 'not run (only with the contenders section)' : `${fmt(peerTrainMs)} ms`
    }`,
  );
  if (ONLY.has('startup')) {
    log('');
    const helps = Array.from({ length: 5 }, helpMs);
    log(`start-up (load average ${load()}):`);
    log(
      `  rfm --help                          median ${median(helps).toFixed(0)} ms of 5 (${helps.map((x) => x.toFixed(0)).join(', ')})   (goal < 300 ms)`,
    );
    for (const w of [1, WORKERS]) {
      const ready: number[] = [];
      for (let i = 0; i < 3; i++) ready.push(await serveReadyMs(reg, w));
      const each = ready.map((x) => x.toFixed(0)).join(', ');
      log(
        `  rfm serve, ${w} worker(s), 4 segments → first answer   median ${median(ready).toFixed(0)} ms of 3 (${each})` +
          '   (goal < 1000 ms)',
      );
    }
  }
  const others = ONLY.has('contenders') ? await measureContenders(reg, peerModel) : undefined;

  // rfm itself: the production build, as `npm start` runs it
  const port = await freePort();
  const c = start(
    process.execPath,
    ['cli/bin/rfm.js', 'serve', '--registry', reg, '--port', String(port), '--workers', String(WORKERS)],
    { env: { RFM_LOG_LEVEL: 'warn' } },
  );
  await waitReady(port, '/api/v1/predict', 'rfm serve');
  if (others) {
    const rfm = measure(port, '/api/v1/predict');
    line('rfm POST /api/v1/predict (fast path)', rfm);
    others.rfm = rfm;
  }

  if (ONLY.has('fastpath')) {
    // rfm's fast path against bare node:http, alternating, all servers up (an idle one costs nothing).
    // rfm writes its answers at the end of each event-loop turn (serving/src/turn-batch.ts); bare
    // node:http doing the same is printed beside it, so the ratio to the plain runtime is read with
    // what the technique gives the runtime itself. The goals are against the plain runtime.
    log('');
    log(`rfm fast path vs bare node:http, ${ROUNDS} alternating rounds of ${SECONDS} s (load average ${load()}):`);
    const bare = [
      { name: 'node:http', mode: 'plain' },
      { name: 'node:http batched', mode: 'batched' },
    ];
    const ports: number[] = [];
    const servers: ChildProcess[] = [];
    for (const b of bare) {
      const p = await freePort();
      servers.push(start(process.execPath, [join(HERE, 'bare-http.mjs'), String(p), String(WORKERS), b.mode]));
      await waitReady(p, '/', b.name);
      wrk(p, '/', 2);
      ports.push(p);
    }
    wrk(port, '/api/v1/predict', 2);
    const rounds: { http: WrkResult; batched: WrkResult; rfm: WrkResult }[] = [];
    const show = (r: WrkResult) => `${fmt(r.rps)} req/s p99 ${r.p99.toFixed(2)} ms`;
    for (let i = 0; i < ROUNDS; i++) {
      const http = wrk(ports[0]!, '/', SECONDS);
      const batched = wrk(ports[1]!, '/', SECONDS);
      const fast = wrk(port, '/api/v1/predict', SECONDS);
      rounds.push({ http, batched, rfm: fast });
      log(
        `  round ${i + 1}: node:http ${show(http)}; batched ${show(batched)}; rfm ${show(fast)}` +
          ` → ${(fast.rps / http.rps).toFixed(2)}×, p99 ${(fast.p99 / http.p99).toFixed(2)}× (load ${load()})`,
      );
    }
    for (const srv of servers) await stop(srv);
    const med = (f: (r: (typeof rounds)[number]) => number) => median(rounds.map(f));
    log(
      `  median: node:http ${fmt(med((r) => r.http.rps))} req/s p99 ${med((r) => r.http.p99).toFixed(2)} ms; ` +
        `batched ${fmt(med((r) => r.batched.rps))} req/s p99 ${med((r) => r.batched.p99).toFixed(2)} ms; ` +
        `rfm ${fmt(med((r) => r.rfm.rps))} req/s p99 ${med((r) => r.rfm.p99).toFixed(2)} ms`,
    );
    log(
      `  median of the per-round ratios to node:http: req/s ${med((r) => r.rfm.rps / r.http.rps).toFixed(2)}× (goal ≥ 0.7×), ` +
        `p99 ${med((r) => r.rfm.p99 / r.http.p99).toFixed(2)}× (goal ≤ 1.5×)`,
    );
    log(
      `  to node:http batched the same way: req/s ${med((r) => r.rfm.rps / r.batched.rps).toFixed(2)}×, ` +
        `p99 ${med((r) => r.rfm.p99 / r.batched.p99).toFixed(2)}×`,
    );
  }
  if (others) {
    log('');
    log('ratios:');
    log(`  rfm / Flask baseline        ${(others.rfm!.rps / others.flask.rps).toFixed(2)}×   (goal ≥ 3×)`);
    log(`  rfm / bare express          ${(others.rfm!.rps / others.bareExpress.rps).toFixed(2)}×   (goal ≥ 0.9×)`);
    log(`  rfm / bare node:http        ${(others.rfm!.rps / others.bareHttp.rps).toFixed(2)}×`);
    log(
      `  rfm express-only / bare express  ${(others.rfmExpress.rps / others.bareExpress.rps).toFixed(2)}×   ` +
        `(the fast path's gain: ${(others.rfm!.rps / others.rfmExpress.rps).toFixed(2)}×)`,
    );
    log(`  bare express / node:http    ${(others.bareExpress.rps / others.bareHttp.rps).toFixed(2)}×`);
    log(
      `  rfm p99 at ${CONNS} connections   ${others.rfm!.p99.toFixed(2)} ms   (goal < 20 ms; baseline ${others.flask.p99.toFixed(2)} ms)`,
    );
  }

  if (ONLY.has('batch')) {
    // batch: 10,000 customers in one request, one request at a time
    const customers = Array.from({ length: 10_000 }, (_, i) => ({
      cid: String(12_000 + i),
      recency: (i * 37) % 370,
      frequency: 1 + ((i * 13) % 40),
      monetary: Math.round(((i * 7919) % 50_000) + 10) / 10,
    }));
    const batchBody = JSON.stringify({ instances: customers });
    const csvBody = `cid,recency,frequency,monetary\n${customers.map((x) => `${x.cid},${x.recency},${x.frequency},${x.monetary}`).join('\n')}\n`;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const timeIt = async (path: string, body: string, type: string, n: number) => {
      for (let i = 0; i < 5; i++) await post(port, path, body, type, agent);
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const s = process.hrtime.bigint();
        const r = await post(port, path, body, type, agent);
        times.push(Number(process.hrtime.bigint() - s) / 1e6);
        if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.body.slice(0, 200)}`);
      }
      return times.sort((a, b) => a - b);
    };
    const batch = await timeIt('/api/v1/predict', batchBody, 'application/json', 40);
    const csv = await timeIt('/api/v1/predict/csv', csvBody, 'text/csv', 20);
    agent.destroy();
    const batchMedian = pct(batch, 50);
    const batchPps = 10_000 / (batchMedian / 1000);
    log('');
    log(
      `batch of 10,000 customers, one request at a time (${fmt(batchBody.length / 1024)} kB JSON; client-measured, end to end):`,
    );
    log(
      `  JSON  POST /api/v1/predict       median ${batchMedian.toFixed(1)} ms, p90 ${pct(batch, 90).toFixed(1)} ms, min ${batch[0]!.toFixed(1)} ms   ` +
        `(goal < 25 ms; load average ${load()})`,
    );
    log(
      `  CSV   POST /api/v1/predict/csv   median ${pct(csv, 50).toFixed(1)} ms, p90 ${pct(csv, 90).toFixed(1)} ms, min ${csv[0]!.toFixed(1)} ms`,
    );
    if (others)
      log(
        `  predictions/s through the batch route: ${fmt(batchPps)} vs the baseline's ${fmt(others.flask.rps)} (one per request) = ` +
          `${(batchPps / others.flask.rps).toFixed(0)}×   (goal ≥ 100×)`,
      );
  }

  if (ONLY.has('swap')) {
    // promotions and rollbacks under load
    log('');
    const swap = await swapUnderLoad(port, reg);
    log(
      `promotions and rollbacks under load (${swap.moves} moves by a second process, 8 clients, 24 customers per request, each answer checked against ` +
        `its version's Predictor):`,
    );
    log(
      `  ${fmt(swap.requests)} requests, ${swap.errors} errors, ${swap.mixed} mixed answers, max latency during swaps ${swap.maxLatency.toFixed(1)} ms`,
    );
    log(
      `  alias move → first answer from the new version: median ${swap.medianSwitch} ms, max ${swap.maxSwitch} ms   (goal ≤ 1000 ms; poll interval 250 ms)`,
    );
  }
  await stop(c);
}

async function swapUnderLoad(port: number, reg: string) {
  const r = await Registry.openReadOnly(reg);
  const models = new Map<number, Awaited<ReturnType<typeof r.loadModel>>>();
  for (const v of [1, 2]) models.set(v, await r.loadModel(MODEL, v));
  await r.close();
  const customers = Array.from({ length: 24 }, (_, i) => ({
    cid: `c${i}`,
    recency: [1, 5, 20, 60, 150, 400][i % 6]!,
    frequency: [1, 2, 4, 9][i % 4]!,
    monetary: [15, 120, 600, 3000, 20000][i % 5]!,
  }));
  const expected = new Map<number, string>();
  for (const [v, m] of models) {
    const p = new Predictor(m.artifact);
    expected.set(
      v,
      JSON.stringify(
        customers.map((x) => {
          const k = p.predict(x.recency, x.frequency, x.monetary);
          return {
            cid: x.cid,
            cluster: k,
            segment: m.artifact.segments.find((s) => s.cluster === k)!.name,
            outlier: p.outlier(x.recency, x.frequency, x.monetary, k),
          };
        }),
      ),
    );
  }
  const body = JSON.stringify({ instances: customers });
  const answers: { start: number; end: number; version: number }[] = [];
  let errors = 0;
  let mixed = 0;
  let running = true;
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const client = async () => {
    while (running) {
      const start = Date.now();
      try {
        const res = await post(port, '/api/v1/predict', body, 'application/json', agent);
        const end = Date.now();
        if (res.status !== 200) {
          errors++;
          continue;
        }
        const json = JSON.parse(res.body) as { model_version: number; predictions: unknown[] };
        if (
          Number(res.headers['x-model-version']) !== json.model_version ||
          JSON.stringify(json.predictions) !== expected.get(json.model_version)
        )
          mixed++;
        answers.push({ start, end, version: json.model_version });
      } catch {
        errors++;
      }
    }
  };
  const clients = Array.from({ length: 8 }, client);
  await sleep(1000);
  const moves = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? '2' : 'rollback'));
  // the mover runs in its own process, asynchronously: the clients keep going meanwhile
  const out = await new Promise<string>((res, rej) => {
    const m = spawn(
      process.execPath,
      [
        '--conditions=rfm-source',
        '--import',
        'tsx',
        join(ROOT, 'tests', 'swap', 'mover.ts'),
        reg,
        MODEL,
        '600',
        ...moves,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let text = '';
    m.stdout.on('data', (d) => (text += d));
    m.on('error', rej);
    m.on('close', (code) => (code === 0 ? res(text) : rej(new Error(`mover exited ${code}`))));
  });
  await sleep(1000);
  running = false;
  await Promise.all(clients);
  agent.destroy();
  const done = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { to: number; at: number });
  const switches = done.map((m) => {
    const first = answers
      .filter((a) => a.end >= m.at && a.version === m.to)
      .reduce((min, a) => Math.min(min, a.end), Infinity);
    return first - m.at;
  });
  const sorted = [...switches].sort((a, b) => a - b);
  return {
    moves: done.length,
    requests: answers.length + errors,
    errors,
    mixed,
    maxLatency: extent(answers.map((a) => a.end - a.start)).max,
    medianSwitch: pct(sorted, 50),
    maxSwitch: sorted[sorted.length - 1]!,
  };
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench/serve failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);

/**
 * bench/soak — the server under steady load for a bounded time while a second process moves
 * production every 10 s (promote, rollback, promote, …). Loopback only; everything it starts is
 * stopped at the end. Prints requests, errors, swaps, latency percentiles and the server's RSS;
 * exits 1 if any request failed or the RSS at the end is more than 10% above the RSS after warm-up.
 *
 *   npm run bench:soak -- [--minutes 5] [--rate 400] [--connections 8] [--swap-every 10]
 *                         [--warmup 30] [--built] [--json]
 *
 * The load is a mix of what clients send: single predictions (70%), batches of 100 (10%), CSV
 * files of 50 rows (5%), raw transactions (5%), model info (5%) and readiness probes (5%), paced
 * to --rate requests per second over --connections keep-alive connections. Every answer must be a
 * 200 with a body of the right shape. The server is `rfm serve` from the sources (through tsx), or
 * from cli/dist with --built (built first). RSS is read from /proc every second; the
 * figures compared are the mean of the last 5 s of warm-up and of the last 5 s of the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '@rfm/registry';
import { extent } from '@rfm/shared';
import { makeArtifact } from '@rfm/shared/testing';
import { benchArgs, buildFirst, ROOT } from './args.js';

const MODEL = 'customer-segments';

// ---- arguments --------------------------------------------------------------------------------
const USAGE =
  'npm run bench:soak -- [--minutes 5] [--rate 400] [--connections 8] [--swap-every 10] [--warmup 30] [--built] [--json]';
const { values: opt } = benchArgs('bench/soak', USAGE, {
  options: {
    minutes: { type: 'string', default: '5' },
    rate: { type: 'string', default: '400' },
    connections: { type: 'string', default: '8' },
    'swap-every': { type: 'string', default: '10' },
    warmup: { type: 'string', default: '30' },
    built: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const MINUTES = Number(opt.minutes);
const RATE = Number(opt.rate);
const CONNS = Number(opt.connections);
const SWAP_S = Number(opt['swap-every']);
const WARMUP_S = Math.min(Number(opt.warmup), (MINUTES * 60) / 3);
const BUILT = opt.built;
const JSON_OUT = opt.json;
for (const [k, v] of Object.entries({ MINUTES, RATE, CONNS, SWAP_S, WARMUP_S }))
  if (!Number.isFinite(v) || v <= 0) {
    process.stderr.write(`soak: --${k.toLowerCase()} must be a positive number\n`);
    process.exit(64);
  }
if (MINUTES > 120) {
  process.stderr.write('soak: at most 120 minutes\n');
  process.exit(64);
}

const log = (s: string) => process.stdout.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const mb = (b: number) => `${fmt(b / 1024 / 1024, 1)} MB`;

// ---- set-up: a registry with a production version and a candidate ---------------------------
const tmp = mkdtempSync(join(tmpdir(), 'rfm-soak-'));
const file = join(tmp, 'registry.db');
{
  const reg = await Registry.open(file);
  await reg.register({ modelName: MODEL, artifact: makeArtifact({ seed: 1 }), actor: 'soak' });
  await reg.register({
    modelName: MODEL,
    artifact: makeArtifact({
      seed: 2,
      centroids: [
        [-1, 1, 1],
        [1, -1, -1],
        [0.2, 0.1, 0.3],
      ],
    }),
    actor: 'soak',
  });
  await reg.close();
}

const children = new Set<ChildProcess>();
let cleaned = false;
const cleanup = () => {
  if (cleaned) return;
  cleaned = true;
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
};
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

function start(args: string[], env: Record<string, string> = {}): ChildProcess {
  const c = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(c);
  return c;
}

// ---- the server ---------------------------------------------------------------------------
if (BUILT) buildFirst('bench/soak');
const serveArgs = BUILT
  ? [join(ROOT, 'cli', 'dist', 'main.js')]
  : ['--conditions=rfm-source', '--import', 'tsx', join(ROOT, 'cli', 'src', 'main.ts')];
const server = start([...serveArgs, 'serve', '--port', '0', '--host', '127.0.0.1', '--registry', file], {
  RFM_LOG_LEVEL: 'warn',
  RFM_POLL_MS: '250',
});
let serverOut = '';
server.stdout!.on('data', (d) => (serverOut += d));
server.stderr!.on('data', (d) => (serverOut += d));
const startedAt = Date.now();
while (!/http:\/\/127\.0\.0\.1:\d+/.test(serverOut)) {
  if (server.exitCode !== null || Date.now() - startedAt > 60_000) {
    process.stderr.write(`soak: rfm serve did not start:\n${serverOut}\n`);
    process.exit(1);
  }
  await sleep(50);
}
const BASE = /(http:\/\/127\.0\.0\.1:\d+)/.exec(serverOut)![1]!;
const { hostname, port } = new URL(BASE);

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

// ---- the load -------------------------------------------------------------------------------
const agent = new Agent({ keepAlive: true, maxSockets: CONNS });
interface Req {
  kind: string;
  method: string;
  path: string;
  type?: string;
  body?: string;
  check: (status: number, text: string) => boolean;
  version?: boolean;
}
const single = JSON.stringify({ cid: 'c1', recency: 40, frequency: 4, monetary: 610.5 });
const batch = JSON.stringify({
  instances: Array.from({ length: 100 }, (_, i) => ({
    cid: `b${i}`,
    recency: i * 3,
    frequency: 1 + (i % 9),
    monetary: 20 + i * 17.5,
  })),
});
const csvRows = Array.from({ length: 50 }, (_, i) => `c${i},${i * 5},${1 + (i % 7)},${(30 + i * 11.25).toFixed(2)}`);
const csv = `cid,recency,frequency,monetary\n${csvRows.join('\n')}\n`;
const tx = JSON.stringify({
  cid: '17850',
  transactions: Array.from({ length: 5 }, (_, i) => ({
    InvoiceNo: String(536365 + i),
    InvoiceDate: `12/${1 + i}/2010 8:26`,
    Quantity: 2 + i,
    UnitPrice: 2.55,
    CustomerID: '17850',
  })),
});
const okJson = (f: (j: any) => boolean) => (status: number, text: string) => {
  if (status !== 200) return false;
  try {
    return f(JSON.parse(text));
  } catch {
    return false;
  }
};
const MIX: [number, Req][] = [
  [
    70,
    {
      kind: 'predict',
      method: 'POST',
      path: '/api/v1/predict',
      type: 'application/json',
      body: single,
      version: true,
      check: okJson((j) => j.predictions?.length === 1),
    },
  ],
  [
    10,
    {
      kind: 'batch-100',
      method: 'POST',
      path: '/api/v1/predict',
      type: 'application/json',
      body: batch,
      version: true,
      check: okJson((j) => j.predictions?.length === 100),
    },
  ],
  [
    5,
    {
      kind: 'csv-50',
      method: 'POST',
      path: '/api/v1/predict/csv',
      type: 'text/csv',
      body: csv,
      version: true,
      check: (s, t) => s === 200 && t.split('\n').filter(Boolean).length === 51 && !/,row \d|stopped/.test(t),
    },
  ],
  [
    5,
    {
      kind: 'transactions',
      method: 'POST',
      path: '/api/v1/predict/transactions',
      type: 'application/json',
      body: tx,
      version: true,
      check: okJson((j) => typeof j.cluster === 'number' && j.frequency === 5),
    },
  ],
  [
    5,
    { kind: 'model', method: 'GET', path: '/api/v1/model', check: okJson((j) => typeof j === 'object' && j !== null) },
  ],
  [5, { kind: 'readyz', method: 'GET', path: '/readyz', check: okJson((j) => j.ready === true) }],
];
const pick = (x: number): Req => {
  let acc = 0;
  for (const [w, r] of MIX) {
    acc += w;
    if (x < acc) return r;
  }
  return MIX[0]![1];
};

function send(r: Req): Promise<{ status: number; text: string; version: string | undefined }> {
  return new Promise((res, rej) => {
    const body = r.body === undefined ? undefined : Buffer.from(r.body);
    const q = request(
      {
        host: hostname,
        port,
        method: r.method,
        path: r.path,
        agent,
        headers: body ? { 'content-type': r.type!, 'content-length': String(body.length) } : {},
      },
      (resp) => {
        const chunks: Buffer[] = [];
        resp.on('data', (c: Buffer) => chunks.push(c));
        resp.on('end', () =>
          res({
            status: resp.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            version: resp.headers['x-model-version'] as string | undefined,
          }),
        );
        resp.on('error', rej);
      },
    );
    q.setTimeout(30_000, () => q.destroy(new Error('timeout after 30 s')));
    q.on('error', rej);
    if (body) q.write(body);
    q.end();
  });
}

interface Minute {
  requests: number;
  errors: number;
  lat: number[];
  rss: number[];
}
const minutes: Minute[] = [];
// requests still in flight at the end count in the last minute
const minute = (t: number) =>
  (minutes[Math.min(Math.floor(t / 60_000), Math.max(0, Math.ceil(MINUTES) - 1))] ??= {
    requests: 0,
    errors: 0,
    lat: [],
    rss: [],
  });
const latencies: number[] = [];
const errors: string[] = [];
const versions = new Map<string, number>();
const byKind = new Map<string, number>();
let requests = 0;
let versionChanges = 0;
const rssSamples: { t: number; rss: number }[] = [];

const DURATION = MINUTES * 60_000;
const t0 = Date.now();
const end = t0 + DURATION;
let running = true;

// the swapper: a second process, started with the load
const swapperArgs = [
  '--conditions=rfm-source',
  '--import',
  'tsx',
  join(ROOT, 'bench', 'soak-swapper.ts'),
  file,
  MODEL,
  '2',
  String(SWAP_S),
];
const swapper = start(swapperArgs);
let swapOut = '';
swapper.stdout!.on('data', (d) => (swapOut += d));
swapper.stderr!.on('data', (d) => (swapOut += d));

const sampler = setInterval(() => {
  try {
    const r = rss(server.pid!);
    rssSamples.push({ t: Date.now() - t0, rss: r });
    minute(Date.now() - t0).rss.push(r);
  } catch {
    // server gone: counted as failed requests anyway
  }
}, 1000);

const progress = setInterval(() => {
  if (JSON_OUT) return;
  const el = (Date.now() - t0) / 1000;
  const last = rssSamples.at(-1)?.rss ?? NaN;
  log(`  ${fmt(el)} s: ${fmt(requests)} requests, ${errors.length} errors, rss ${mb(last)}`);
}, 30_000);

const perWorkerGapMs = (1000 * CONNS) / RATE;
async function worker(w: number): Promise<void> {
  let seq = w;
  let next = Date.now() + (w * perWorkerGapMs) / CONNS;
  let lastVersion: string | undefined;
  while (running && Date.now() < end) {
    const wait = next - Date.now();
    if (wait > 0) await sleep(wait);
    next += perWorkerGapMs;
    const r = pick((seq++ * 37) % 100);
    const s = performance.now();
    const m = minute(Date.now() - t0);
    try {
      const a = await send(r);
      const ms = performance.now() - s;
      latencies.push(ms);
      m.lat.push(ms);
      if (!r.check(a.status, a.text)) throw new Error(`${r.kind}: ${a.status} ${a.text.slice(0, 200)}`);
      if (r.version) {
        if (!a.version) throw new Error(`${r.kind}: no x-model-version header`);
        versions.set(a.version, (versions.get(a.version) ?? 0) + 1);
        if (lastVersion !== undefined && lastVersion !== a.version) versionChanges++;
        lastVersion = a.version;
      }
    } catch (e) {
      errors.push(`${new Date().toISOString()} ${(e as Error).message}`);
      m.errors++;
    }
    requests++;
    m.requests++;
    byKind.set(r.kind, (byKind.get(r.kind) ?? 0) + 1);
  }
}

if (!JSON_OUT)
  log(
    `soak: ${MINUTES} min at ${RATE} req/s over ${CONNS} keep-alive connections on ${BASE} (server ${BUILT ? 'cli/dist' : 'from sources via tsx'}, ` +
      `pid ${server.pid}); production moves every ${SWAP_S} s; warm-up ${WARMUP_S} s`,
  );
await Promise.all(Array.from({ length: CONNS }, (_, w) => worker(w)));
running = false;
const elapsed = (Date.now() - t0) / 1000;
clearInterval(sampler);
clearInterval(progress);
swapper.kill('SIGTERM');
await new Promise((r) => swapper.once('exit', r));

// ---- figures -------------------------------------------------------------------------------
const moves = swapOut
  .split('\n')
  .filter((l) => l.startsWith('{'))
  .map((l) => JSON.parse(l) as { action?: string; error?: string; to?: number; ms?: number });
const swapErrors = moves.filter((m) => m.error);
const swaps = moves.filter((m) => m.action);
const sorted = [...latencies].sort((a, b) => a - b);
const pct = (p: number, arr = sorted) =>
  arr.length ? arr[Math.min(arr.length - 1, Math.floor((p / 100) * arr.length))]! : NaN;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const windowMean = (from: number, to: number) =>
  mean(rssSamples.filter((s) => s.t >= from && s.t < to).map((s) => s.rss));
const rssWarm = windowMean((WARMUP_S - 5) * 1000, WARMUP_S * 1000);
const rssEnd = windowMean(elapsed * 1000 - 5000, elapsed * 1000 + 1);
const growth = (rssEnd - rssWarm) / rssWarm;
const rssMax = extent(rssSamples.map((s) => s.rss)).max;
const ok = errors.length === 0 && swapErrors.length === 0 && growth <= 0.1;

const result = {
  minutes: MINUTES,
  seconds: +elapsed.toFixed(1),
  target_rate: RATE,
  connections: CONNS,
  requests,
  rate: +(requests / elapsed).toFixed(1),
  errors: errors.length,
  by_kind: Object.fromEntries(byKind),
  swaps: swaps.length,
  swap_errors: swapErrors.length,
  swap_ms_max: swaps.reduce((m, s) => Math.max(m, s.ms ?? 0), 0),
  versions_answered: Object.fromEntries(versions),
  version_changes_seen_by_clients: versionChanges,
  latency_ms: {
    p50: +pct(50).toFixed(2),
    p90: +pct(90).toFixed(2),
    p99: +pct(99).toFixed(2),
    p999: +pct(99.9).toFixed(2),
    max: +(sorted.at(-1) ?? NaN).toFixed(2),
  },
  rss_bytes: {
    after_warmup: Math.round(rssWarm),
    end: Math.round(rssEnd),
    max: rssMax,
    growth: +growth.toFixed(4),
    limit: 0.1,
  },
  pass: ok,
};

if (JSON_OUT) log(JSON.stringify(result, null, 2));
else {
  log('');
  log(
    `requests   ${fmt(requests)} in ${fmt(elapsed, 1)} s (${fmt(requests / elapsed, 1)}/s): ${[...byKind].map(([k, n]) => `${k} ${fmt(n)}`).join(', ')}`,
  );
  log(`errors     ${errors.length}${errors.length ? ` (first: ${errors[0]})` : ''}`);
  log(
    `swaps      ${swaps.length} production moves by the second process (${swaps.filter((s) => s.action === 'promote').length} promote, ` +
      `${swaps.filter((s) => s.action === 'rollback').length} rollback, ${swapErrors.length} failed, slowest ${fmt(result.swap_ms_max, 1)} ms); the ` +
      `${CONNS} connections saw the answering version change ${versionChanges} times in all; answers by version: ` +
      `${[...versions].map(([v, n]) => `v${v} ${fmt(n)}`).join(', ')}`,
  );
  log(
    `latency    p50 ${fmt(pct(50), 2)} ms, p90 ${fmt(pct(90), 2)} ms, p99 ${fmt(pct(99), 2)} ms, p99.9 ${fmt(pct(99.9), 2)} ms, max ` +
      `${fmt(sorted.at(-1) ?? NaN, 1)} ms`,
  );
  log(
    `rss        after warm-up ${mb(rssWarm)}, at end ${mb(rssEnd)} (${growth >= 0 ? '+' : ''}${fmt(growth * 100, 1)}%, limit +10%), max ${mb(rssMax)}`,
  );
  log('minute     requests  errors  p99 ms   rss');
  minutes.forEach((m, i) => {
    const l = [...m.lat].sort((a, b) => a - b);
    log(
      `${String(i + 1).padStart(6)}  ${fmt(m.requests).padStart(10)}  ${String(m.errors).padStart(6)}  ${fmt(pct(99, l), 2).padStart(7)}   ${mb(mean(m.rss))}`,
    );
  });
  log(ok ? 'PASS: zero failed requests, RSS within 10% of after warm-up' : 'FAIL');
}

server.kill('SIGTERM');
await Promise.race([new Promise((r) => server.once('exit', r)), sleep(5000)]);
agent.destroy();
cleanup();
process.exit(ok ? 0 : 1);

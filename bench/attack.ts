/**
 * bench/attack — predict latency of a real `rfm serve` on 127.0.0.1 while an anonymous client
 * attacks it (compare flood, uploads, slowloris, pinned versions). Each phase measures POST /api/v1/predict from two
 * keep-alive clients for --seconds; the idle phase runs first in the same process, so the ratio
 * compares like with like. Prints figures and the load average; bounded (every attack stops at
 * the end of its phase, every socket is closed, the server is stopped).
 *
 *   npm run bench:attack -- [--seconds 8] [--customers 100000] [--phases idle,compare,slowloris,versions,upload]
 *
 *   compare    10 clients loop GET /api/v1/models/customer-segments/compare?a=1&b=2 (no token needed)
 *   slowloris  1,000 sockets send a partial request header and one more header line every 2 s
 *   versions   2 clients loop POST /api/v1/predict?version=N over 40 stored versions
 *   upload     40 clients loop a 20 MB multipart upload to POST /score (the no-JavaScript form)
 *
 * Needs `npx tsc -b cli` first (runs cli/dist/main.js, as deployed).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from '@rfm/registry';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'cli', 'dist', 'main.js');
const MODEL = 'customer-segments';
const BODY = '{"recency":30,"frequency":2,"monetary":400}';

const argv = process.argv.slice(2);
const flag = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? dflt : argv[i + 1]!;
};
const SECONDS = Number(flag('seconds', '8'));
const CUSTOMERS = Number(flag('customers', '100000'));
const PHASES = flag('phases', 'idle,compare,slowloris,versions,upload').split(',');

const log = (s: string) => process.stdout.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

const tmp = mkdtempSync(join(tmpdir(), 'rfm-bench-attack-'));
let server: ChildProcess | null = null;
process.on('exit', () => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

function rfm(args: string[]): void {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env } });
  if (r.status !== 0) throw new Error(`rfm ${args.join(' ')} failed: ${r.stderr}`);
}

/** A synthetic RFM table (seeded), so compare has many stored training customers to predict. */
function writeFeatures(file: string, n: number): void {
  let s = 1;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const rows = ['cid,recency,frequency,monetary'];
  for (let i = 0; i < n; i++)
    rows.push(
      `c${i},${Math.floor(rnd() * 365)},${1 + Math.floor(rnd() ** 3 * 40)},${(10 + rnd() ** 2 * 5000).toFixed(2)}`,
    );
  writeFileSync(file, `${rows.join('\n')}\n`);
}

interface Stats {
  n: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
}

/** Two keep-alive clients POST /api/v1/predict back to back for `ms`; latencies in ms. */
async function measurePredict(url: string, ms: number, path = '/api/v1/predict'): Promise<Stats> {
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  const lat: number[] = [];
  let errors = 0;
  const end = Date.now() + ms;
  const one = () =>
    new Promise<void>((res) => {
      const t0 = performance.now();
      const req = request(
        `${url}${path}`,
        { method: 'POST', agent, headers: { 'content-type': 'application/json' }, timeout: 30_000 },
        (r) => {
          r.resume();
          r.on('end', () => {
            if (r.statusCode === 200) lat.push(performance.now() - t0);
            else errors++;
            res();
          });
        },
      );
      req.on('error', () => {
        errors++;
        res();
      });
      req.on('timeout', () => req.destroy());
      req.end(BODY);
    });
  const loop = async () => {
    while (Date.now() < end) await one();
  };
  await Promise.all([loop(), loop()]);
  agent.destroy();
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? Number.NaN;
  return { n: lat.length, errors, p50: q(0.5), p99: q(0.99), max: lat.at(-1) ?? Number.NaN };
}

/** Run `attack` until `stop` resolves; counts its requests by status. */
function loopClients(n: number, fire: (i: number) => Promise<number>) {
  let running = true;
  const statuses = new Map<number, number>();
  const loops = Array.from({ length: n }, async (_, c) => {
    let i = c;
    while (running) {
      const st = await fire(i++).catch(() => 0);
      statuses.set(st, (statuses.get(st) ?? 0) + 1);
      if (st === 503 || st === 0) await sleep(50);
    }
  });
  return {
    statuses,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

function get(url: string, agent: Agent): Promise<number> {
  return new Promise((res) => {
    const req = request(url, { agent, timeout: 60_000 }, (r) => {
      r.resume();
      r.on('end', () => res(r.statusCode ?? 0));
    });
    req.on('error', () => res(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function post(url: string, agent: Agent, body: Buffer | string, headers: Record<string, string>): Promise<number> {
  return new Promise((res) => {
    const req = request(url, { method: 'POST', agent, headers, timeout: 120_000 }, (r) => {
      r.resume();
      r.on('end', () => res(r.statusCode ?? 0));
    });
    req.on('error', () => res(0));
    req.on('timeout', () => req.destroy());
    req.end(body);
  });
}

const fmtStats = (s: Stats) =>
  `predict p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, max ${s.max.toFixed(1)} ms, ${s.n} answered, ${s.errors} failed`;

function hwmMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function main(): Promise<void> {
  const registry = join(tmp, 'registry.db');
  const features = join(tmp, 'rfm.csv');
  log(`setup: ${CUSTOMERS.toLocaleString('en-US')} synthetic customers, two trainings, 40 versions; load ${load()}`);
  writeFeatures(features, CUSTOMERS);
  const common = ['--registry', registry, '--n-init', '1', '--max-iter', '30'];
  rfm(['train', '--features', features, '--k', '4', ...common]);
  rfm(['train', '--features', features, '--k', '5', '--seed', '1', ...common]);
  const reg = await Registry.open(registry);
  try {
    const art = (await reg.loadModel(MODEL, 1)).artifact;
    for (let i = 0; i < 38; i++) await reg.register({ modelName: MODEL, artifact: art, actor: 'bench' });
  } finally {
    await reg.close();
  }

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, [CLI, 'serve', '--registry', registry, '--port', String(port)], {
    cwd: ROOT,
    env: { ...process.env, RFM_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; ; i++) {
    if ((await get(`${url}/readyz`, new Agent())) === 200) break;
    if (i > 200) throw new Error('server did not become ready');
    await sleep(100);
  }
  const pid = server.pid!;
  const ms = SECONDS * 1000;
  await measurePredict(url, 1000); // warm-up

  const idle = await measurePredict(url, ms);
  log(`idle       ${fmtStats(idle)}; load ${load()}`);
  const ratio = (s: Stats) => `${(s.p99 / idle.p99).toFixed(1)}× idle p99`;

  if (PHASES.includes('compare')) {
    const agent = new Agent({ keepAlive: true });
    const a = loopClients(10, () => get(`${url}/api/v1/models/${MODEL}/compare?a=1&b=2`, agent));
    await sleep(300);
    const s = await measurePredict(url, ms);
    await a.stop();
    agent.destroy();
    log(
      `compare    ${fmtStats(s)} (${ratio(s)}); compare answers ${JSON.stringify(Object.fromEntries(a.statuses))}; load ${load()}`,
    );
  }

  if (PHASES.includes('slowloris')) {
    const sockets: Socket[] = [];
    let closedByServer = 0;
    for (let i = 0; i < 1000; i++) {
      const sock = connect(port, '127.0.0.1');
      sock.on('error', () => {});
      sock.on('close', () => closedByServer++);
      sock.write(`POST /api/v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n`);
      sockets.push(sock);
    }
    const drip = setInterval(() => {
      for (const s of sockets) if (!s.destroyed) s.write(`X-Slow-${Math.floor(Math.random() * 1e6)}: a\r\n`);
    }, 2000);
    await sleep(500);
    const s = await measurePredict(url, ms);
    clearInterval(drip);
    const open = sockets.filter((x) => !x.destroyed).length;
    for (const x of sockets) x.destroy();
    log(
      `slowloris  ${fmtStats(s)} (${ratio(s)}); 1,000 slow sockets, ${open} still open after ${SECONDS + 0.5} s` +
        ` (${closedByServer} closed by the server); load ${load()}`,
    );
  }

  if (PHASES.includes('versions')) {
    const agent = new Agent({ keepAlive: true });
    const a = loopClients(2, (i) =>
      post(`${url}/api/v1/predict?version=${1 + (i % 40)}`, agent, BODY, { 'content-type': 'application/json' }),
    );
    await sleep(300);
    const s = await measurePredict(url, ms);
    await a.stop();
    agent.destroy();
    log(
      `versions   ${fmtStats(s)} (${ratio(s)}); pinned answers ${JSON.stringify(Object.fromEntries(a.statuses))}; load ${load()}`,
    );
  }

  if (PHASES.includes('upload')) {
    const boundary = 'rfmbenchboundary';
    const rows = ['cid,recency,frequency,monetary'];
    let size = 0;
    for (let i = 0; size < 19.5 * 1024 * 1024; i++) {
      const line = `customer-${i}-padding-padding-padding,${i % 365},${1 + (i % 30)},${(i % 5000) + 0.5}`;
      rows.push(line);
      size += line.length + 1;
    }
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n`,
      ),
      Buffer.from(rows.join('\n')),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const agent = new Agent({ keepAlive: true });
    const rss0 = rssMb(pid);
    const a = loopClients(40, () =>
      post(`${url}/score`, agent, body, {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        accept: 'text/csv',
      }),
    );
    await sleep(300);
    const s = await measurePredict(url, ms);
    await a.stop();
    agent.destroy();
    log(
      `upload     ${fmtStats(s)} (${ratio(s)}); 40 clients × ${(body.length / 1048576).toFixed(1)} MB` +
        `: answers ${JSON.stringify(Object.fromEntries(a.statuses))}` +
        `; server RSS ${rss0.toFixed(0)} MB before, peak ${hwmMb(pid).toFixed(0)} MB; load ${load()}`,
    );
  }

  server.kill('SIGTERM');
  await new Promise((r) => server!.once('exit', r));
}

await main();

/**
 * Shared helpers of the reliability and security tests: a server in a child process (memory is
 * measured there, logs captured there), a raw HTTP client that sends exactly the bytes and headers
 * it is given, and a steady request loop that counts failures.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ROOT } from '../support.js';

const SERVE_CHILD = join(ROOT, 'tests', 'fixtures', 'serve-child.ts');

export interface Mem {
  heapUsed: number;
  rss: number;
  external: number;
  gc: boolean;
  /** CPU time the server process has used so far (user + system) */
  cpuMs: number;
}

export interface ServeChild {
  url: string;
  child: ChildProcess;
  /** everything the server wrote on stdout and stderr so far */
  output(): string;
  /** heap and RSS after two full GCs in the server process */
  mem(): Promise<Mem>;
  stop(): Promise<void>;
}

/** Start `serve-child.ts` (real startServer, real logger) and wait for its URL. */
export function startServeChild(
  registry: string,
  opts: { logLevel?: string; env?: Record<string, string> } = {},
): Promise<ServeChild> {
  return new Promise((resolve, reject) => {
    const child = fork(SERVE_CHILD, [registry, opts.logLevel ?? 'warn'], {
      cwd: ROOT,
      execArgv: ['--expose-gc', '--conditions=rfm-source', '--import', 'tsx'],
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server child did not start in 60 s:\n${out}`));
    }, 60_000);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`server child exited ${code} before starting:\n${out}`));
    };
    child.once('exit', onExit);
    child.on('message', function ready(m: { type?: string; url?: string }) {
      if (m?.type !== 'ready') return;
      clearTimeout(timer);
      child.off('message', ready);
      child.off('exit', onExit);
      resolve({
        url: m.url!,
        child,
        output: () => out,
        mem: () =>
          new Promise<Mem>((res) => {
            const on = (x: { type?: string } & Mem) => {
              if (x?.type !== 'mem') return;
              child.off('message', on);
              res(x);
            };
            child.on('message', on);
            child.send({ type: 'mem' });
          }),
        stop: () =>
          new Promise<void>((res) => {
            if (child.exitCode !== null || child.signalCode !== null) return res();
            child.once('exit', () => res());
            child.send({ type: 'stop' });
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      });
    });
  });
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** A keep-alive agent per test file: fuzzing opens no new connection per request. */
export function keepAliveAgent(maxSockets = 16): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets });
}

/**
 * Send exactly `body` with exactly `headers` (content-length set unless chunked is asked for).
 * Resolves with status, headers and text; rejects only on a transport failure.
 */
export function rawRequest(
  url: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    chunked?: boolean;
    agent?: http.Agent;
    timeoutMs?: number;
  } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body =
      opts.body === undefined ? undefined : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body, 'utf8');
    const headers: Record<string, string> = { ...opts.headers };
    if (body !== undefined && !opts.chunked) headers['content-length'] = String(body.length);
    const req = http.request(url, { method: opts.method ?? 'POST', headers, agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs ?? 30_000, () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export interface LoopStats {
  requests: number;
  failures: { at: number; what: string }[];
  versions: Map<number, number>;
  latenciesMs: number[];
}

/**
 * Predict requests back to back on `concurrency` keep-alive connections until stop() is called.
 * A failure is anything but a 200 with a prediction (transport errors included).
 */
export function requestLoop(url: string, concurrency = 2): { stats: LoopStats; stop: () => Promise<LoopStats> } {
  const stats: LoopStats = { requests: 0, failures: [], versions: new Map(), latenciesMs: [] };
  const agent = keepAliveAgent(concurrency);
  let running = true;
  const body = JSON.stringify({ cid: 'loop', recency: 12, frequency: 3, monetary: 420 });
  const worker = async () => {
    while (running) {
      const t0 = performance.now();
      try {
        const r = await rawRequest(`${url}/api/v1/predict`, {
          headers: { 'content-type': 'application/json' },
          body,
          agent,
        });
        stats.latenciesMs.push(performance.now() - t0);
        const v = r.status === 200 ? (JSON.parse(r.text) as { model_version?: number; predictions?: unknown[] }) : null;
        if (!v || typeof v.model_version !== 'number' || v.predictions?.length !== 1)
          stats.failures.push({ at: Date.now(), what: `${r.status} ${r.text.slice(0, 200)}` });
        else stats.versions.set(v.model_version, (stats.versions.get(v.model_version) ?? 0) + 1);
      } catch (e) {
        stats.failures.push({ at: Date.now(), what: String((e as Error).message) });
      }
      stats.requests++;
    }
  };
  const workers = Array.from({ length: concurrency }, () => worker());
  return {
    stats,
    stop: async () => {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      return stats;
    },
  };
}

/** Integrity, versions, and rows that would betray a half-written registration. */
export function auditRegistry(file: string): { integrity: string; versions: number[]; orphans: number } {
  const db = new Database(file, { readonly: true });
  try {
    return {
      integrity: db.pragma('integrity_check', { simple: true }) as string,
      versions: (db.prepare('SELECT version FROM versions ORDER BY version').all() as { version: number }[]).map(
        (r) => r.version,
      ),
      orphans: db
        .prepare(
          `SELECT (SELECT COUNT(*) FROM versions v WHERE NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.version_id = v.id))
                + (SELECT COUNT(*) FROM artifacts a WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.id = a.version_id))
                + (SELECT COUNT(*) FROM features f WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.id = f.version_id))
                + (SELECT COUNT(*) FROM versions v WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.action IN ('register', 'import') AND e.to_version = v.version))`,
        )
        .pluck()
        .get() as number,
    };
  } finally {
    db.close();
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

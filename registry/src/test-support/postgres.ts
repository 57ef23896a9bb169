import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A throwaway PostgreSQL cluster for tests: initdb in a temp folder, started on a loopback port,
 * stopped (and the folder removed) when the test process exits, or is ended by SIGINT, SIGTERM or
 * SIGHUP. Nothing runs after a SIGKILL, so the folder holds an `owner.pid` marker: the next start
 * stops and removes every `rfm-pg-*` cluster whose owner is dead (reapStaleClusters). Started
 * lazily by the first test that needs it, so runs without PostgreSQL suites pay nothing. CI runs as root and initdb/pg_ctl
 * refuse root, so they run as the `postgres` user there (runuser), in a folder chowned to it.
 */
export const INSTALL_HINT =
  'PostgreSQL is needed for the registry tests on the PostgreSQL back end: install it (Debian: apt-get install postgresql; .ci/run does)' +
  ' or set RFM_SKIP_POSTGRES=1 to mark those tests pending';

export interface Cluster {
  port: number;
  dir: string;
  /** a URL for a brand-new empty database */
  freshDatabase(prefix?: string): Promise<string>;
  stop(): void;
  start(): void;
  restart(): void;
}

/** PostgreSQL's bin folder: RFM_PG_BIN, else the newest /usr/lib/postgresql/<version>/bin, else null. */
export function findPgBin(): string | null {
  if (process.env.RFM_PG_BIN) return existsSync(join(process.env.RFM_PG_BIN, 'initdb')) ? process.env.RFM_PG_BIN : null;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0]!, 'bin') : null;
}

export function postgresSkipped(): boolean {
  return process.env.RFM_SKIP_POSTGRES === '1';
}

let cluster: Promise<Cluster> | null = null;

/**
 * A fresh empty database on the shared test cluster for a describe block's `before` hook: the block
 * is skipped with RFM_SKIP_POSTGRES=1, and fails with the install hint when PostgreSQL is missing.
 */
export async function postgresDatabase(ctx: Mocha.Context, prefix: string): Promise<string> {
  if (postgresSkipped()) ctx.skip();
  if (!findPgBin()) throw new Error(INSTALL_HINT);
  return (await testCluster()).freshDatabase(prefix);
}

/** The shared test cluster (started on first call). Throws the install hint when PostgreSQL is missing. */
export function testCluster(): Promise<Cluster> {
  cluster ??= start();
  return cluster;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const PREFIX = 'rfm-pg-';
const OWNER = 'owner.pid';

/** Run one of PostgreSQL's programs, as the `postgres` user when we are root (initdb/pg_ctl refuse root). */
function pgRun(bin: string, dir: string, cmd: string, args: string[]): Buffer {
  return process.getuid?.() === 0
    ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { stdio: 'pipe', cwd: dir })
    : execFileSync(join(bin, cmd), args, { stdio: 'pipe', cwd: dir });
}

/** Whether a process runs: it exists and is not a zombie (in a container nobody may reap a daemon's exit). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false; // EPERM: exists, someone else's
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (not Linux): kill(0) said it exists
  }
}

/**
 * Stop and remove the test clusters left by test processes that died without cleaning up
 * (SIGKILL, a crash): every `rfm-pg-*` folder in the temp folder whose `owner.pid` names a
 * process that is gone. Clusters of live test processes (other runs in parallel) are left alone;
 * folders without a marker are not ours to judge. Returns the folders removed.
 */
export function reapStaleClusters(bin = findPgBin()): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(tmpdir(), name);
    let owner: number;
    try {
      owner = Number(readFileSync(join(dir, OWNER), 'utf8').trim());
    } catch {
      continue;
    }
    if (!Number.isInteger(owner) || owner <= 0 || processAlive(owner)) continue;
    if (bin && existsSync(join(dir, 'data', 'postmaster.pid')))
      try {
        pgRun(bin, dir, 'pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', 'stop']);
      } catch {} // already stopped: only the folder is left
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

async function start(): Promise<Cluster> {
  const bin = findPgBin();
  if (!bin) throw new Error(INSTALL_HINT);
  reapStaleClusters(bin);
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  writeFileSync(join(dir, OWNER), `${process.pid}\n`);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  if (asRoot) {
    const pgUser = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    if (pgUser.status !== 0) throw new Error(`no "postgres" user to run the test cluster as root; ${INSTALL_HINT}`);
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    chownSync(dir, Number(pgUser.stdout.trim()), Number(gid.stdout.trim()));
  }
  const run = (cmd: string, args: string[]) => pgRun(bin, dir, cmd, args);
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'rfm', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  // Speed over durability: the cluster is thrown away. The server crash/restart tests stop it
  // with a fast shutdown, which still writes everything committed.
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`;
  const pgCtl = (...args: string[]) => {
    try {
      run('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', ...args]);
    } catch (e) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
      throw new Error(`pg_ctl ${args[0]} failed: ${(e as Error).message}\n${tail}`);
    }
  };
  pgCtl('-o', opts, 'start');
  let stopped = false;
  let n = 0;
  const c: Cluster = {
    port,
    dir,
    async freshDatabase(prefix = 't') {
      const name = `${prefix}_${process.pid}_${++n}`;
      const admin = new pg.Client({ host: '127.0.0.1', port, user: 'rfm', database: 'postgres' });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return `postgres://rfm@127.0.0.1:${port}/${name}`;
    },
    stop() {
      pgCtl('-m', 'fast', 'stop');
    },
    start() {
      pgCtl('-o', opts, 'start');
    },
    restart() {
      pgCtl('-m', 'fast', '-o', opts, 'restart');
    },
  };
  const cleanUp = () => {
    if (stopped) return;
    stopped = true;
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', cleanUp);
  // A signal ends the process without 'exit' handlers: clean up, then let the signal do what it
  // would have done (re-raised once our handler is gone) unless someone else handles it.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      cleanUp();
      process.off(sig, onSignal);
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
  return c;
}

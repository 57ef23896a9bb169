import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtCli } from './test-support/built-cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'cli', 'src', 'main.ts');
const TRACE_HOOK = join(ROOT, 'cli', 'src', 'test-support', 'module-trace.mjs');

const readTrace = (file: string): string[] => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return []; // nothing traced: the assertions say so
  }
};

/**
 * Run rfm with a module-load trace; resolves with the exit code, stdout and every module URL it loaded.
 * `entry`: how to start rfm (default: the sources through tsx); `until`: SIGTERM the process once its
 * stdout matches (a server).
 */
function tracedRfm(
  args: string[],
  dir: string,
  opts: { entry?: string[]; until?: RegExp } = {},
): Promise<{ code: number; stdout: string; modules: string[]; workerModules: string[] }> {
  const entry = opts.entry ?? ['--conditions=rfm-source', '--import', 'tsx', '--import', TRACE_HOOK, CLI];
  let until = opts.until;
  const trace = join(dir, `trace-${args[0]}-${args.length}-${entry.length}.txt`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...entry, ...args], {
      cwd: ROOT,
      env: { ...process.env, RFM_MODULE_TRACE: trace },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (until?.test(stdout)) {
        until = undefined; // one signal: a second one during the drain stops at once
        child.kill('SIGTERM');
      }
    });
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? -1, stdout, modules: readTrace(trace), workerModules: readTrace(`${trace}.worker`) }),
    );
    setTimeout(() => child.kill('SIGKILL'), 60_000).unref();
  });
}

// What `rfm --help` must not wait for: zod, the registry (Kysely, better-sqlite3), DuckDB, TensorFlow.js,
// express, ECharts, and every package but shared's zod-free helpers.
const HEAVY = [
  /node_modules\/zod\//,
  /node_modules\/kysely\//,
  /node_modules\/better-sqlite3\//,
  /node_modules\/@duckdb\//,
  /node_modules\/@tensorflow\//,
  /node_modules\/express\//,
  /node_modules\/echarts\//,
  /\/(registry|runs|ingest|training|serving|charts)\/(src|dist)\//,
  /\/shared\/(src|dist)\/index\./,
];
const heavyIn = (modules: string[]) => modules.filter((m) => HEAVY.some((h) => h.test(m)));

describe('rfm start-up: what a command loads', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rfm-startup-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('rfm --help loads commander and the command modules, none of the heavy packages', async () => {
    const r = await tracedRfm(['--help'], dir);
    expect(r.code).to.equal(0);
    expect(r.stdout)
      .to.match(/\bscore\b/)
      .and.match(/\bmodels\b/)
      .and.match(/\bserve\b/);
    expect(r.modules.some((m) => /node_modules\/commander\//.test(m))).to.equal(true);
    expect(r.modules.some((m) => /cli\/src\/commands\/score\.ts$/.test(m))).to.equal(true);
    expect(heavyIn(r.modules)).to.deep.equal([]);
  });

  it('a command that runs loads what it needs (the trace sees the registry and zod)', async () => {
    const r = await tracedRfm(['models', 'list', '--registry', join(dir, 'r.db'), '--json'], dir);
    expect(r.code).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.include({ versions: [] });
    expect(r.modules.some((m) => /node_modules\/zod\//.test(m))).to.equal(true);
    expect(r.modules.some((m) => /\/registry\/src\/index\.ts$/.test(m))).to.equal(true);
  });

  it('the built CLI runs from the bundle, and rfm --help loads a small part of it', async () => {
    const [bin] = builtCli();
    const bundle = join(ROOT, 'cli', 'bundle');
    const all = readdirSync(bundle).filter((f) => f.endsWith('.js'));
    const size = (files: string[]) => files.reduce((n, f) => n + statSync(join(bundle, f)).size, 0);
    const help = await tracedRfm(['--help'], dir, { entry: ['--import', TRACE_HOOK, bin!] });
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/\bscore\b/);
    const files = (r: { modules: string[] }) =>
      r.modules.filter((m) => m.startsWith('file:')).map((m) => fileURLToPath(m));
    // nothing from node_modules or the packages' dist: everything but the launcher is in the bundle
    expect(files(help).filter((f) => !f.startsWith(bundle) && f !== bin)).to.deep.equal([]);
    const loaded = [
      ...new Set(
        files(help)
          .filter((f) => f.startsWith(bundle))
          .map((f) => f.slice(bundle.length + 1)),
      ),
    ];
    // commander and the command modules only: the chunks with zod, Kysely, express, DuckDB stay unread
    expect(size(loaded)).to.be.below(size(all) / 5);
    const models = await tracedRfm(['models', 'list', '--registry', join(dir, 'b.db'), '--json'], dir, {
      entry: ['--import', TRACE_HOOK, bin!],
    });
    expect(models.code).to.equal(0);
    expect(JSON.parse(models.stdout)).to.deep.include({ versions: [] });
    expect(files(models).length).to.be.above(loaded.length + 1);
  });

  it('rfm serve --workers 2: the primary forks without loading the server stack; the workers load it', async () => {
    const r = await tracedRfm(['serve', '--registry', join(dir, 'serve.db'), '--port', '0', '--workers', '2'], dir, {
      until: /rfm serving at http/,
    });
    expect(r.stdout).to.match(/with 2 workers[\s\S]*all workers stopped/);
    const server = [
      /node_modules\/express\//,
      /node_modules\/kysely\//,
      /node_modules\/prom-client\//,
      /\/serving\/src\/app\./,
    ];
    expect(r.modules.filter((m) => server.some((h) => h.test(m)))).to.deep.equal([]);
    expect(r.modules.some((m) => /\/serving\/src\/cluster\.ts$/.test(m))).to.equal(true);
    for (const h of server)
      expect(
        r.workerModules.some((m) => h.test(m)),
        String(h),
      ).to.equal(true);
  });
});

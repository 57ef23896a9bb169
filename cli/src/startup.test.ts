import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'cli', 'src', 'main.ts');
const TRACE_HOOK = join(ROOT, 'cli', 'src', 'test-support', 'module-trace.mjs');

/** Run rfm with a module-load trace; resolves with the exit code, stdout and every module URL it loaded. */
function tracedRfm(args: string[], dir: string): Promise<{ code: number; stdout: string; modules: string[] }> {
  const trace = join(dir, `trace-${args[0]}.txt`);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=rfm-source', '--import', 'tsx', '--import', TRACE_HOOK, CLI, ...args],
      { cwd: ROOT, env: { ...process.env, RFM_MODULE_TRACE: trace }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => {
      let modules: string[] = [];
      try {
        modules = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
      } catch {
        /* nothing traced: the assertions below say so */
      }
      resolve({ code: code ?? -1, stdout, modules });
    });
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
});

/**
 * Scoring runs inside real `rfm serve` processes (issue 11):
 *  - with `--workers 2`, status and cancel requests reach either worker (fresh connections go
 *    round-robin), whichever one executes the run; the run's progress writes reload no model;
 *  - SIGKILL of the server mid-run: the run's child dies with it, and after a restart the run
 *    reads as failed with a reason, no saved run exists, and its temp folder is gone.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeArtifact } from '@rfm/shared/testing';
import { Registry } from '@rfm/registry';
import { generate } from '../bench/gen-data.js';
import { startServerProcess, tempDir, waitFor } from './support.js';

const MODEL = 'customer-segments';
const TOKEN = 'runs-serve-admin-token-0123456789-abcdef';
const auth = { authorization: `Bearer ${TOKEN}`, connection: 'close' };

interface RunJson {
  id: string;
  state: string;
  phase: string | null;
  percent: number;
  error: { code: string | null; message: string | null } | null;
}

/** Children of `pid` whose command line matches `args` (tsx also starts an esbuild helper). */
function childrenOf(pid: number, args: RegExp): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => args.test(l))
      .map((l) => Number(l.trim().split(/\s+/)[0]))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}
/** waitFor with a name in its failure, so a timeout says which step did not happen */
async function step<T>(what: string, fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  try {
    return (await waitFor(fn, ms, 50)).value;
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function status(url: string, id: string): Promise<RunJson> {
  const r = await fetch(`${url}/api/v1/runs/${id}`, { headers: auth });
  expect(r.status).to.equal(200);
  return (await r.json()) as RunJson;
}

async function post(url: string, file: string): Promise<string> {
  const { readFileSync } = await import('node:fs');
  const r = await fetch(`${url}/api/v1/runs`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'text/csv' },
    body: readFileSync(file),
  });
  const text = await r.text();
  expect(r.status, text).to.equal(202);
  return (JSON.parse(text) as { id: string }).id;
}

async function loads(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: { connection: 'close' } })).text();
  const line = text.split('\n').find((l) => l.startsWith('rfm_model_loads_total'));
  return Number(line?.split(' ').pop() ?? Number.NaN);
}

describe('scoring runs in rfm serve processes', function () {
  this.timeout(300_000);
  let t: { dir: string; cleanup: () => void };
  let file: string;
  let big: string;
  let tmp: string;
  before(async () => {
    t = tempDir('rfm-runs-serve-');
    file = join(t.dir, 'registry.db');
    tmp = join(t.dir, 'tmp');
    mkdirSync(tmp);
    const reg = await Registry.open(file);
    await reg.register({ modelName: MODEL, artifact: makeArtifact(), actor: 'test' });
    await reg.close();
    big = join(t.dir, 'big.csv');
    await generate({ rows: 2_000_000, customers: 60_000, out: big, seed: 5 });
  });
  after(() => t.cleanup());

  const env = () => ({ RFM_ADMIN_TOKEN: TOKEN, RFM_POLL_MS: '50', TMPDIR: tmp });
  const runFolders = () => {
    const base = join(tmp, `rfm-runs-${process.getuid!()}`);
    return existsSync(base) ? readdirSync(base) : [];
  };

  it('--workers 2: either worker answers status and cancel for the run the other executes; no model reload', async () => {
    const s = await startServerProcess(['--registry', file, '--workers', '2'], env(), 120_000);
    try {
      await waitFor(async () => (childrenOf(s.child.pid!, / serve /).length === 2 ? true : undefined), 60_000, 100);
      const workers = childrenOf(s.child.pid!, / serve /);
      // one load per worker at start; nothing may add to it while the run goes on
      const before = (await waitFor(async () => ((await loads(s.url)) === 2 ? 2 : undefined), 60_000, 200)).value;
      const id = await post(s.url, big);
      await waitFor(async () => ((await status(s.url, id)).state === 'running' ? true : undefined), 60_000, 50);
      const reg = await Registry.openReadOnly(file);
      const executor = Number((await reg.getRunJob(id)).serverId.split(':').pop());
      await reg.close();
      expect(workers).to.include(executor);
      // fresh connections alternate between the workers: every answer agrees
      const states = [];
      for (let i = 0; i < 6; i++) states.push((await status(s.url, id)).state);
      expect(
        states.every((x) => x === 'running' || x === 'succeeded'),
        states.join(),
      ).to.equal(true);
      // cancel: whichever worker takes the DELETE, the executing one stops the run
      const c = await fetch(`${s.url}/api/v1/runs/${id}`, { method: 'DELETE', headers: auth });
      expect(c.status).to.equal(202);
      const end = await waitFor(
        async () => {
          const j = await status(s.url, id);
          return j.state === 'running' ? undefined : j;
        },
        30_000,
        50,
      );
      expect(end.value.state).to.equal('cancelled');
      await waitFor(async () => (runFolders().length === 0 ? true : undefined), 10_000, 50);
      // metrics sum both workers: the job's registry writes made neither reload its model
      expect(await loads(s.url)).to.equal(before);
    } finally {
      await s.stop();
    }
  });

  it('SIGKILL mid-run: the run child dies too; after a restart the run reads failed with a reason, nothing saved, no folder left', async () => {
    const s = await startServerProcess(['--registry', file], env(), 120_000);
    let id = '';
    try {
      id = await post(s.url, big);
      await step(
        'the run starts',
        async () => ((await status(s.url, id)).state === 'running' ? true : undefined),
        90_000,
      );
      const runChild = await step(
        'the run child is found',
        async () => childrenOf(s.child.pid!, /run-child/)[0],
        20_000,
      );
      expect(runFolders()).to.have.length(1);
      s.child.kill('SIGKILL');
      await new Promise((r) => s.child.once('close', r));
      await step('the run child exits with its server', async () => (alive(runChild) ? undefined : true), 20_000);
    } finally {
      if (s.child.exitCode === null && s.child.signalCode === null) await s.stop();
    }
    const again = await startServerProcess(['--registry', file], env(), 120_000);
    try {
      const j = await status(again.url, id);
      expect(j.state).to.equal('failed');
      expect(j.error?.message).to.match(/server stopped .*while this run was executing; nothing was saved/);
      const reg = await Registry.openReadOnly(file);
      try {
        expect((await reg.listRuns()).map((r) => r.id)).not.to.include(id);
      } finally {
        await reg.close();
      }
      expect(runFolders()).to.deep.equal([]);
    } finally {
      await again.stop();
    }
  });
});

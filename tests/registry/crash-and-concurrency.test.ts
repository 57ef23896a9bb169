import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Registry } from '@rfm/registry';
import { auditRegistry, BACKENDS } from '@rfm/registry/testing';
import { ROOT, stress } from '../support.js';

const LOOP = join(ROOT, 'tests', 'fixtures', 'register-loop.ts');

function runLoop(
  location: string,
  count: number,
  tag: string,
  killAfterMs?: number,
): Promise<{ code: number | null; signal: string | null; versions: number[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=rfm-source', '--import', 'tsx', LOOP, location, String(count), tag],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    let timer: NodeJS.Timeout | undefined;
    // start the clock once the child has committed its first version: kills land mid-registration
    if (killAfterMs !== undefined)
      child.stdout.once('data', () => {
        timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, versions: out.split('\n').filter(Boolean).map(Number), stderr: err });
    });
  });
}

/** Every version row has exactly its artifact, features and register event; nothing half-written. */
const audit = (location: string) => auditRegistry(location, { features: true });

for (const backend of BACKENDS)
  describe(`registry under crashes and concurrency, real processes (${backend.name})`, function () {
    this.timeout(600_000); // 20 process starts: slow on a loaded 2-core machine
    before(async function () {
      await backend.setup(this);
    });
    after(() => backend.cleanup());

    // PostgreSQL: fewer by default (each child connects and migrates); RFM_PG_FULL=1 runs the full counts
    const kills = backend.scale(stress(20, 10), 6);
    it(`SIGKILL at random points of registration never leaves a partial version (${kills} kills)`, async () => {
      const loc = await backend.fresh();
      await (await Registry.open(loc)).close();
      let committed = 0;
      for (let i = 0; i < kills; i++) {
        const r = await runLoop(loc, 1_000_000, `kill${i}`, Math.floor(Math.random() * 120));
        expect(r.signal, r.stderr).to.equal('SIGKILL');
        committed += r.versions.length;
        const a = await audit(loc);
        expect(a.integrity).to.equal('ok');
        expect(a.orphans).to.equal(0);
        // versions are contiguous from 1: a killed transaction never burns or half-writes a number
        expect(a.versions).to.deep.equal(Array.from({ length: a.versions.length }, (_, j) => j + 1));
        // every version the child reported as committed is there (at most one more: committed, not yet printed)
        expect(a.versions.length - committed).to.be.within(0, i + 1);
      }
      const reg = await Registry.open(loc);
      expect((await reg.verify()).every((v) => v.ok)).to.equal(true);
      await reg.close();
    });

    const writers = backend.scale(3, 3);
    const each = backend.scale(15, 8);
    it(`${writers} writers at once all succeed with distinct versions; a busy registry never reaches them`, async () => {
      const loc = await backend.fresh();
      await (await Registry.open(loc)).close();
      const tags = Array.from({ length: writers }, (_, i) => String.fromCharCode(97 + i));
      const results = await Promise.all(tags.map((t) => runLoop(loc, each, t)));
      for (const r of results) {
        expect(r.code, r.stderr).to.equal(0);
        expect(r.versions).to.have.length(each);
        expect(r.stderr).to.not.match(/SQLITE_BUSY|locked|busy|deadlock/);
      }
      const all = results.flatMap((r) => r.versions).sort((x, y) => x - y);
      expect(all).to.deep.equal(Array.from({ length: writers * each }, (_, i) => i + 1));
      expect(await audit(loc)).to.deep.include({ integrity: 'ok', orphans: 0 });
    });
  });

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from '@rfm/registry';
import { loadSavedRun, type ScoredCustomers } from '@rfm/runs';
import { savedRunInput } from '@rfm/runs/testing';
import { makeArtifact } from '@rfm/shared/testing';
import { ROOT, rfmDist, tempDir } from '../support.js';

const M = 'customer-segments';
const GONE = 'C00001234';
const SEGMENTS = [
  { cluster: 0, key: 'champions' as const, name: 'Champions' },
  { cluster: 1, key: 'at_risk' as const, name: 'At risk' },
];

/** n customers C00000000…, cluster by a rule of the run's number (so segments change between runs). */
function many(n: number, run: number): ScoredCustomers {
  return {
    cid: Array.from({ length: n }, (_, i) => `C${String(i).padStart(8, '0')}`),
    recency: Float64Array.from({ length: n }, (_, i) => i % 365),
    frequency: Float64Array.from({ length: n }, (_, i) => 1 + (i % 9)),
    monetary: Float64Array.from({ length: n }, (_, i) => (i % 1000) + 0.5),
    rScore: new Uint8Array(n).fill(3),
    fScore: new Uint8Array(n).fill(2),
    mScore: new Uint8Array(n).fill(4),
    cluster: Uint16Array.from({ length: n }, (_, i) => (i + run) % 2),
    distance: new Float64Array(n),
    outlier: new Uint8Array(n),
  };
}

/** Where the customer still is: each saved run and each version's training customers (counts must agree). */
async function presence(file: string): Promise<{ places: number; of: number }> {
  const reg = await Registry.open(file);
  try {
    let places = 0;
    let of = 0;
    for (const r of await reg.listRuns()) {
      const s = await loadSavedRun(reg, r.id);
      expect(s.run.customers, 'count agrees with the customers').to.equal(s.customers.cid.length);
      if (s.customers.cid.includes(GONE)) places++;
      of++;
    }
    if ((await reg.features(M, 1))?.cids.includes(GONE)) places++;
    return { places, of: of + 1 };
  } finally {
    await reg.close();
  }
}

describe('rfm customers / rfm runs gc (built CLI processes)', function () {
  this.timeout(300_000);
  const tmp = tempDir('rfm-customers-');
  const base = join(tmp.dir, 'base.db');
  const N = 100_000;
  let forgetMs = 3000; // measured by the first case: the kills spread over it
  after(() => tmp.cleanup());

  before(async () => {
    const reg = await Registry.open(base);
    try {
      await reg.register({
        modelName: M,
        artifact: makeArtifact(),
        actor: 't',
        features: {
          cids: Array.from({ length: 5000 }, (_, i) => `C${String(i).padStart(8, '0')}`),
          raw: new Float64Array(15_000),
        },
      });
      for (const [i, date] of ['2026-01-31', '2026-02-28', '2026-03-31'].entries()) {
        await new Promise((r) => setTimeout(r, 5));
        await reg.saveRun(savedRunInput(many(N, i), date, SEGMENTS, M), 't');
      }
    } finally {
      await reg.close();
    }
  });

  const copy = (name: string) => {
    const f = join(tmp.dir, `${name}.db`);
    copyFileSync(base, f);
    return f;
  };

  it('shows a customer, forgets them (exit 0), recognises the second request, and says so for a stranger', async () => {
    const file = copy('forget');
    const reg = ['--registry', file];
    const shown = await rfmDist(['customers', 'show', GONE, ...reg, '--json']);
    expect(shown.code, shown.stderr).to.equal(0);
    // run 2 (latest): 1234+2 even → champions; run 1: at risk; run 0: champions
    expect(JSON.parse(shown.stdout)).to.include({
      segment: 'Champions',
      previousSegment: 'At risk',
      segmentSince: '2026-03-31',
    });
    const human = await rfmDist(['customers', 'show', GONE, ...reg]);
    expect(human.stdout).to.match(/segment\s+Champions/);
    const t0 = Date.now();
    const gone = await rfmDist(['customers', 'forget', GONE, ...reg, '--reason', 'request 114', '--json'], {
      RFM_ACTOR: 'dpo',
    });
    expect(gone.code, gone.stderr).to.equal(0);
    forgetMs = Date.now() - t0;
    console.log(`      (forget of 1 customer over 3 runs of ${N.toLocaleString('en')}: ${forgetMs} ms as a process)`);
    const out = JSON.parse(gone.stdout);
    expect(out.erased).to.equal(true);
    expect(out.runs).to.have.length(3);
    expect(await presence(file)).to.deep.equal({ places: 0, of: 4 });
    const missing = await rfmDist(['customers', 'show', GONE, ...reg]);
    expect(missing.code).to.equal(66);
    expect(missing.stderr).to.include('not in the latest saved run').and.not.include(GONE);
    const again = await rfmDist(['customers', 'forget', GONE, ...reg]);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.match(/^already erased on \d{4}-/);
    const stranger = await rfmDist(['customers', 'forget', 'nobody-0000', ...reg]);
    expect(stranger.code).to.equal(66);
    expect(stranger.stderr).to.include('nothing changed');
    const bad = await rfmDist(['customers', 'show', 'a\u0001b', ...reg]);
    expect(bad.code).to.equal(65);
    expect(bad.stderr).to.include('no control characters');
  });

  it('an erasure killed with SIGKILL at any moment leaves the customer fully present or fully gone', async () => {
    const outcomes: number[] = [];
    for (const delay of [0.4, 0.6, 0.75, 0.9, 1.1].map((f) => Math.round(f * forgetMs))) {
      const file = copy(`kill-${delay}`);
      const child = spawn(
        process.execPath,
        [join(ROOT, 'cli', 'bin', 'rfm.js'), 'customers', 'forget', GONE, '--registry', file],
        {
          cwd: ROOT,
          stdio: 'ignore',
        },
      );
      const exited = new Promise<void>((r) => child.on('close', () => r()));
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await exited;
      const p = await presence(file);
      expect([0, p.of], `after a kill at ${delay} ms: in ${p.places} of ${p.of} places`).to.include(p.places);
      outcomes.push(p.places);
    }
    console.log(
      `      (places holding the customer after kills at 0.4–1.1 × ${forgetMs} ms: ${outcomes.join(', ')} of 4)`,
    );
  });

  it('runs gc: a dry run lists, --keep deletes beyond the newest N with events, a bad age is refused', async () => {
    const file = copy('gc');
    const reg = ['--registry', file];
    const dry = await rfmDist(['runs', 'gc', '--keep', '1', '--dry-run', ...reg, '--json']);
    expect(dry.code, dry.stderr).to.equal(0);
    expect(JSON.parse(dry.stdout).runs).to.have.length(2);
    const done = await rfmDist(['runs', 'gc', '--keep', '1', '--model', M, ...reg], { RFM_ACTOR: 'ops' });
    expect(done.code, done.stderr).to.equal(0);
    expect(done.stdout).to.match(/deleted 2 run\(s\)/);
    const r = await Registry.open(file);
    try {
      expect(await r.listRuns()).to.have.length(1);
      const ev = (await r.history(M)).filter((e) => e.action === 'run_delete');
      expect(ev.map((e) => [e.actor, e.reason])).to.deep.equal([
        ['ops', 'retention: beyond the newest 1'],
        ['ops', 'retention: beyond the newest 1'],
      ]);
    } finally {
      await r.close();
    }
    const age = await rfmDist(['runs', 'gc', '--older-than', 'ninety', ...reg]);
    expect(age.code).to.equal(65);
    expect(age.stderr).to.include('an age such as 90d');
    const none = await rfmDist(['runs', 'gc', ...reg]);
    expect(none.code).to.equal(65);
    expect(none.stderr).to.include('--older-than AGE or --keep N');
  });
});

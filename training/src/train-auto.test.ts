import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RfmError } from '@rfm/shared';
import { Registry } from '@rfm/registry';
import { train, type TrainEvent, type TrainOptions } from './train.js';

const SAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data', 'online_retail_sample.csv.gz');

describe('train --k auto, metrics per version and the training report', function () {
  this.timeout(120_000);
  let dir: string;
  let registryPath: string;
  const base = (): TrainOptions => ({ registryPath, modelName: 'auto', actor: 'tester', backend: 'wasm' });
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rfm-train-auto-'));
    registryPath = join(dir, 'registry.db');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('fits k = 3…8, chooses by knee, silhouette and segment share, stores why, the sweep, medians and the report', async () => {
    const events: TrainEvent[] = [];
    const reportPath = join(dir, 'report.html');
    const r = await train({ exportPath: SAMPLE }, { ...base(), k: 'auto', reportPath, onEvent: (e) => events.push(e) });
    expect(r.sweep!.map((p) => p.k)).to.deep.equal([3, 4, 5, 6, 7, 8]);
    for (const p of r.sweep!) expect(p.smallest_share).to.be.within(0, 0.5);
    expect(r.k).to.equal(3);
    expect(r.k_selection).to.deep.include({
      method: 'knee+silhouette+min-share',
      k_min: 3,
      k_max: 8,
      sample: 296,
      knee: 3,
      min_share: 0.02,
    });
    expect(r.k_selection!.reason).to.match(/^k = 3 is the knee of the inertia curve/);
    expect(r.k_selection!.runner_up!.k).to.equal(4);
    expect(r.metrics.inertia).to.equal(r.sweep!.find((p) => p.k === r.k)!.inertia);
    // fit events count the k tried, 1…6 of 6
    expect(events.filter((e) => e.phase === 'fit' && e.done === 6 && e.total === 6)).to.have.length(1);
    expect(events.map((e) => e.phase)).to.include.members([
      'read_clean_aggregate',
      'fit',
      'evaluate',
      'report',
      'register',
    ]);

    const reg = await Registry.open(registryPath);
    try {
      const a = await reg.loadArtifact('auto', r.version);
      expect(a.sweep).to.deep.equal(r.sweep);
      expect(a.k_selection).to.deep.equal(r.k_selection);
      expect(a.params.algorithm).to.equal('lloyd');
      for (const s of a.segments) {
        expect(s.median).to.be.an('object');
        expect(s.median!.frequency).to.be.at.least(1);
      }
      expect(a.metrics.davies_bouldin).to.be.a('number');
      expect(a.metrics.calinski_harabasz).to.be.a('number');
      const stored = (await reg.report('auto', r.version))!;
      expect(stored).to.equal(readFileSync(reportPath, 'utf8'));
      expect(stored).to.include('Choosing k').and.include('missing_customer').and.include('<svg');
      expect(stored).to.include('runner-up').and.include('called ');
      expect(a.schema_version).to.equal(2);
      expect(a.data.purchase_rhythm).to.deep.equal({
        median_gap_days: 60,
        repeat_customers: 169,
        span_days: 373,
        basis: 'transactions',
      });
      expect(a.naming!.usual_gap_days).to.equal(60);
    } finally {
      await reg.close();
    }
  });

  it('a fixed k stores no sweep, and still a report', async () => {
    const r = await train({ exportPath: SAMPLE }, { ...base(), k: 3, nInit: 2 });
    expect(r.sweep).to.equal(undefined);
    const reg = await Registry.open(registryPath);
    try {
      expect((await reg.loadArtifact('auto', r.version)).sweep).to.equal(undefined);
      expect(await reg.report('auto', r.version))
        .to.include('Segments')
        .and.not.include('Choosing k');
    } finally {
      await reg.close();
    }
  });

  it('k = auto on fewer than 4 customers (k = 3…8) is a clear error and registers nothing', async () => {
    const path = join(dir, 'two.csv');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      path,
      'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n1,A,X,1,12/1/2010 8:00,1.0,1,UK\n2,A,X,1,12/2/2010 8:00,1.0,2,UK\n',
    );
    const before = await (async () => {
      const reg = await Registry.open(registryPath);
      try {
        return (await reg.list('auto')).length;
      } finally {
        await reg.close();
      }
    })();
    try {
      await train({ exportPath: path }, { ...base(), k: 'auto' });
      expect.fail('should throw');
    } catch (e) {
      expect(e).to.be.instanceOf(RfmError);
      expect((e as RfmError).message).to.match(/--k auto needs at least 4 customers/);
    }
    const reg = await Registry.open(registryPath);
    try {
      expect(await reg.list('auto')).to.have.length(before);
    } finally {
      await reg.close();
    }
  });
});

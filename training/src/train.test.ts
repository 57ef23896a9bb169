import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArtifactV1Schema, Predictor, RfmError } from '@rfm/shared';
import { Registry } from '@rfm/registry';
import { computeFeatures, readFeatures } from '@rfm/ingest';
import { train, type TrainOptions } from './train.js';
import { writeUci } from '@rfm/ingest/testing';

// The real sample committed in data/ (all rows of 300 UCI customers); see data/README.md.
const SAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data', 'online_retail_sample.csv.gz');

describe('train pipeline (real sample → registry)', function () {
  this.timeout(60_000);
  let dir: string;
  let registryPath: string;
  const base = (): TrainOptions => ({ registryPath, modelName: 'segments', actor: 'tester', backend: 'wasm' });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rfm-train-'));
    registryPath = join(dir, 'reg', 'registry.db');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('trains, registers v1 as production, and stores a valid artifact', async () => {
    const r = await train({ exportPath: SAMPLE }, base());
    expect(r).to.include({ model: 'segments', version: 1, promoted: true, k: 4, backend: 'wasm' });
    expect(r.aliases).to.deep.equal(['production']);
    expect(r.data).to.deep.include({
      rows_read: 12_140,
      rows_kept: 11_699,
      customers: 296,
      snapshot_date: '2011-12-10',
    });
    expect(r.data.rows_dropped).to.deep.include({
      missing_customer: 97,
      cancelled: 340,
      quantity_not_positive: 0,
      price_not_positive: 4,
    });
    // scikit-learn (the pandas baseline) on the same sample: inertia 292.574, silhouette 0.3013
    expect(r.metrics.inertia).to.be.within(292.574 * 0.99, 292.574 * 1.01);
    expect(r.metrics.silhouette).to.be.within(0.28, 0.33);
    expect(r.metrics.silhouette_sample).to.equal(296);
    expect(r.metrics.sizes.reduce((a, b) => a + b, 0)).to.equal(296);
    expect(r.run_inertias).to.have.length(10);
    expect(r.metrics.inertia).to.equal(Math.min(...r.run_inertias));
    expect(Object.keys(r.phases_ms)).to.deep.equal([
      'backend_init',
      'read_clean_aggregate',
      'preprocess',
      'fit',
      'evaluate',
      'name',
      'report',
      'register',
    ]);

    const reg = await Registry.open(registryPath);
    try {
      const art = await reg.loadArtifact('segments', 1);
      expect(ArtifactV1Schema.safeParse(art).success).to.equal(true);
      expect(art.training.code_version).to.equal(
        JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'), 'utf8')).version,
      );
      expect(art.segments.map((s) => s.size)).to.deep.equal(r.metrics.sizes);
      expect(new Set(art.segments.map((s) => s.name)).size).to.equal(4);
      // the stored training customers are the table the model was fitted on
      const f = (await reg.features('segments', 1))!;
      expect(f.cids).to.have.length(296);
      // serving's predictor puts every training customer in the cluster training assigned
      const p = new Predictor(art);
      const counts = [0, 0, 0, 0];
      for (let i = 0; i < f.cids.length; i++) counts[p.predict(f.raw[i * 3]!, f.raw[i * 3 + 1]!, f.raw[i * 3 + 2]!)]!++;
      expect(counts).to.deep.equal(r.metrics.sizes);
      // segment means are means of the raw table
      const mean = art.segments.reduce((a, s) => a + s.mean.monetary * s.size, 0) / 296;
      let total = 0;
      for (let i = 0; i < 296; i++) total += f.raw[i * 3 + 2]!;
      expect(mean).to.be.closeTo(total / 296, 1e-6);
    } finally {
      await reg.close();
    }
  });

  it('the same seed gives the same model; a second version is a candidate unless --promote', async () => {
    const r2 = await train({ exportPath: SAMPLE }, base());
    expect(r2.version).to.equal(2);
    expect(r2.aliases).to.deep.equal([]);
    expect(r2.promoted).to.equal(false);
    const r3 = await train({ exportPath: SAMPLE }, { ...base(), promote: true });
    expect(r3.aliases).to.deep.equal(['production']);
    const reg = await Registry.open(registryPath);
    try {
      const [a1, a2] = [await reg.loadArtifact('segments', 1), await reg.loadArtifact('segments', 2)];
      expect(a2.centroids).to.deep.equal(a1.centroids);
      expect(a2.metrics).to.deep.equal(a1.metrics);
    } finally {
      await reg.close();
    }
  });

  it('rfm features output trains the same model as the export it came from', async () => {
    const out = join(dir, 'features', 'rfm.csv');
    const f = await computeFeatures(SAMPLE, out);
    expect(f).to.include({ customers: 296, format: 'csv' });
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).to.equal('cid,recency,frequency,monetary');
    expect(lines).to.have.length(297);
    const fromFeatures = await train({ featuresPath: out }, { ...base(), asOf: '2011-12-10' });
    expect(fromFeatures.data.source.format).to.equal('features');
    expect(fromFeatures.data.snapshot_date).to.equal('2011-12-10');
    expect(Object.keys(fromFeatures.phases_ms)[1]).to.equal('read_features');
    const reg = await Registry.open(registryPath);
    try {
      const a = await reg.loadArtifact('segments', 1);
      const b = await reg.loadArtifact('segments', fromFeatures.version);
      for (let c = 0; c < 4; c++)
        for (let j = 0; j < 3; j++) expect(b.centroids[c]![j]).to.be.closeTo(a.centroids[c]![j]!, 1e-9);
      expect(b.metrics.sizes).to.deep.equal(a.metrics.sizes);
    } finally {
      await reg.close();
    }
    // and the parquet flavour reads back to the same table
    const pq = await computeFeatures(SAMPLE, join(dir, 'features', 'rfm.parquet'));
    const back = await readFeatures(pq.out);
    const csvBack = await readFeatures(out);
    expect(back.table.cids).to.deep.equal(csvBack.table.cids);
    expect([...back.table.raw]).to.deep.equal([...csvBack.table.raw]);
  });

  it('refuses k above the number of customers and registers nothing', async () => {
    const fresh = join(dir, 'other', 'registry.db');
    const tiny = writeUci(dir); // 3 customers
    try {
      await train({ exportPath: tiny }, { ...base(), registryPath: fresh, k: 4 });
      expect.fail('should have thrown');
    } catch (e) {
      expect(e).to.be.instanceOf(RfmError);
      expect((e as RfmError).code).to.equal('INVALID_INPUT');
      expect((e as RfmError).message).to.match(/k=4 needs at least 4 customers; the data has 3/);
    }
    expect(existsSync(fresh)).to.equal(false);
  });

  it('validates options with messages naming the field', async () => {
    for (const [opts, re] of [
      [{ k: 0 }, /k: k must be at least 1/],
      [{ nInit: 1.5 }, /nInit: n-init must be a whole number/],
      [{ asOf: '2011-02-30' }, /asOf: is not a real calendar date/],
      [{ tol: -1 }, /tol: tol must be ≥ 0/],
    ] as const) {
      try {
        await train({ exportPath: SAMPLE }, { ...base(), ...opts });
        expect.fail('should have thrown');
      } catch (e) {
        expect((e as RfmError).code).to.equal('INVALID_INPUT');
        expect((e as RfmError).message).to.match(re);
      }
    }
  });
});

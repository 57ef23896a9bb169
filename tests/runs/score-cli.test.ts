import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Registry } from '@rfm/registry';
import { decodeCustomers, scoreTable } from '@rfm/runs';
import { Predictor } from '@rfm/shared';
import { rfmDist, SAMPLE, tempDir, type CliResult } from '../support.js';

/** The built CLI (cli/bin/rfm.js, as installed) in its own process, as a person named tester. */
const rfmAs = (args: string[]): Promise<CliResult> => rfmDist(args, { RFM_ACTOR: 'tester' });

async function ok(args: string[]): Promise<any> {
  const r = await rfmAs([...args, '--json']);
  if (r.code !== 0) throw new Error(`rfm ${args.join(' ')} exited ${r.code}\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

function parseCsv(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trim().split('\n');
  const cols = head!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i]!, v])));
}

describe('rfm score / rfm runs (built CLI processes)', function () {
  this.timeout(300_000);
  const tmp = tempDir('rfm-score-');
  const registry = join(tmp.dir, 'registry.db');
  const reg = ['--registry', registry];
  after(() => tmp.cleanup());

  before(async () => {
    await ok(['train', SAMPLE, ...reg, '--k', '4', '--seed', '42']);
  });

  it("scores every customer exactly as training's features plus the version's predictor give", async () => {
    const features = join(tmp.dir, 'features.csv');
    await ok(['features', SAMPLE, '--out', features]);
    const out = join(tmp.dir, 'scored.csv');
    const s = await ok(['score', SAMPLE, ...reg, '--out', out]);
    const r = await Registry.openReadOnly(registry);
    const model = await r.loadModel('customer-segments', 1);
    await r.close();
    const p = new Predictor(model.artifact);
    const want = parseCsv(readFileSync(features, 'utf8'));
    const got = parseCsv(readFileSync(out, 'utf8'));
    expect(got.length).to.equal(want.length);
    expect(s.customers).to.equal(want.length);
    expect(s.run_id).to.equal(null);
    for (let i = 0; i < want.length; i++) {
      const w = want[i]!;
      const g = got[i]!;
      expect([g.cid, Number(g.recency), Number(g.frequency), Number(g.monetary)], w.cid).to.deep.equal([
        w.cid,
        Number(w.recency),
        Number(w.frequency),
        Number(w.monetary),
      ]);
      const cluster = p.predict(Number(w.recency), Number(w.frequency), Number(w.monetary));
      expect(Number(g.cluster), w.cid).to.equal(cluster);
      expect(g.segment).to.equal(model.artifact.segments.find((x) => x.cluster === cluster)!.name);
    }
    // the summary adds up to the export: every customer, all revenue
    const total = s.summary.reduce((t: number, x: { customers: number }) => t + x.customers, 0);
    expect(total).to.equal(want.length);
    const revenue = want.reduce((t, w) => t + Number(w.monetary), 0);
    const summed = s.summary.reduce((t: number, x: { revenue: number }) => t + x.revenue, 0);
    expect(summed).to.be.closeTo(revenue, 1e-6 * revenue);
  });

  it("flags about 1% of the model's own training customers as outliers", async () => {
    const r = await Registry.openReadOnly(registry);
    const model = await r.loadModel('customer-segments', 1);
    const training = (await r.features('customer-segments', 1))!;
    await r.close();
    expect(model.artifact.outliers?.distance).to.have.length(4);
    const s = scoreTable(training, model.artifact);
    const share = s.outlier.reduce((n, o) => n + (o === 1 ? 1 : 0), 0) / s.cid.length;
    // 4 clusters of ~75 customers: the 99th percentile leaves about one customer of each above it
    expect(share).to.be.within(0.005, 0.02);
  });

  it('saves runs, lists, shows, diffs (matrix = customers in both) and deletes them; history columns filled', async () => {
    const a = await ok(['score', SAMPLE, ...reg, '--out', join(tmp.dir, 'a.csv'), '--save']);
    const b = await ok([
      'score',
      SAMPLE,
      ...reg,
      '--out',
      join(tmp.dir, 'b.parquet'),
      '--save',
      '--as-of',
      '2012-02-01',
    ]);
    expect(a.run_id).to.match(/^r-\d{8}-[0-9a-f]+$/);
    expect(b.history_from_runs).to.equal(1);
    const list = await ok(['runs', 'list', ...reg]);
    expect(list.runs.map((x: { id: string }) => x.id)).to.deep.equal([b.run_id, a.run_id]);
    const shown = await ok(['runs', 'show', a.run_id, ...reg]);
    expect(shown.summary).to.deep.equal(a.summary);
    const d = await ok(['runs', 'diff', ...reg]);
    expect(d.a.id).to.equal(a.run_id);
    expect(d.transitions.reduce((t: number, x: { customers: number }) => t + x.customers, 0)).to.equal(a.customers);
    expect(d.totals.moved).to.be.greaterThan(0); // seven more weeks without purchases move people
    // customers of the newer run: previous_segment is the older run's segment of each customer
    const csv = join(tmp.dir, 'b-customers.csv');
    await ok(['runs', 'customers', b.run_id, ...reg, '--out', csv]);
    const older = new Map(parseCsv(readFileSync(join(tmp.dir, 'a.csv'), 'utf8')).map((x) => [x.cid, x.segment]));
    const rows = parseCsv(readFileSync(csv, 'utf8'));
    expect(rows).to.have.length(b.customers);
    for (const x of rows) expect(x.previous_segment, x.cid).to.equal(older.get(x.cid!));
    // the stored blob decodes to the same customers
    const r = await Registry.openReadOnly(registry);
    const c = decodeCustomers(await r.runCustomers(b.run_id));
    await r.close();
    expect(c.cid).to.deep.equal(rows.map((x) => x.cid));
    const del = await ok(['runs', 'delete', a.run_id, ...reg]);
    expect(del.deleted).to.equal(a.run_id);
    expect((await ok(['runs', 'list', ...reg])).runs).to.have.length(1);
  });

  it('errors: unknown run id, unknown segment, diff of two models, missing columns — clear message and exit code', async () => {
    const gone = await rfmAs(['runs', 'show', 'r-20260101-abcdef', ...reg]);
    expect(gone.code).to.equal(66);
    expect(gone.stderr).to.match(/no saved run with id "r-20260101-abcdef"/);
    const [run] = (await ok(['runs', 'list', ...reg])).runs;
    const seg = await rfmAs([
      'runs',
      'customers',
      run.id,
      ...reg,
      '--out',
      join(tmp.dir, 'x.csv'),
      '--segment',
      'Whales',
    ]);
    expect(seg.code).to.equal(66);
    expect(seg.stderr).to.match(/no segment "Whales" in this run; its segments: /);
    await ok(['train', SAMPLE, ...reg, '--model', 'other', '--k', '3']);
    const o = await ok(['score', SAMPLE, ...reg, '--model', 'other', '--out', join(tmp.dir, 'o.csv'), '--save']);
    const mixed = await rfmAs(['runs', 'diff', run.id, o.run_id, ...reg]);
    expect(mixed.code).to.equal(65);
    expect(mixed.stderr).to.match(/different models \("customer-segments" and "other"\)/);
    // the version counts frequency as invoices; an export without an invoice column cannot give that
    const lines = gunzipSync(readFileSync(SAMPLE)).toString('utf8').split('\n').slice(0, 200);
    const cols = lines[0]!.split(',');
    const drop = cols.indexOf('InvoiceNo');
    const noInvoice = join(tmp.dir, 'no-invoice.csv');
    writeFileSync(
      noInvoice,
      lines
        .filter(Boolean)
        .map((l) =>
          l
            .split(',')
            .filter((_, i) => i !== drop)
            .join(','),
        )
        .join('\n'),
    );
    const miss = await rfmAs(['score', noInvoice, ...reg, '--out', join(tmp.dir, 'n.csv')]);
    expect(miss.code).to.equal(65);
    expect(miss.stderr).to.match(/counts frequency as distinct invoices, and the export has no invoice column/);
  });

  it("refuses a bad export exactly as training's import does (message and exit code)", async () => {
    const bad = join(tmp.dir, 'bad.csv');
    writeFileSync(bad, 'foo,bar\n1,2\n');
    const t = await rfmAs(['train', bad, ...reg]);
    const s = await rfmAs(['score', bad, ...reg, '--out', join(tmp.dir, 'bad-out.csv')]);
    expect(t.code).to.not.equal(0);
    expect(s.code).to.equal(t.code);
    expect(s.stderr.split('\n')[0]).to.equal(t.stderr.split('\n')[0]);
    const badDate = await rfmAs(['score', SAMPLE, ...reg, '--out', join(tmp.dir, 'd.csv'), '--as-of', '2011-02-30']);
    const trainDate = await rfmAs(['train', SAMPLE, ...reg, '--as-of', '2011-02-30']);
    expect(badDate.code).to.equal(65);
    expect(badDate.stderr).to.equal(trainDate.stderr);
  });
});

import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { rfmDist, SAMPLE, tempDir, type CliResult } from '../support.js';
import { field, sampleLines, writePricesTimes } from './shifted-export.js';

/**
 * Drift and the webhook through the built CLI: a run of the training export itself is not
 * flagged; a run of the same export with every price ×5 is, for the reasons a person would give;
 * both summaries reach a webhook receiver on loopback, without a customer id.
 */
const rfmAs = (args: string[]): Promise<CliResult> => rfmDist(args, { RFM_ACTOR: 'tester' });
async function ok(args: string[]): Promise<any> {
  const r = await rfmAs([...args, '--json']);
  if (r.code !== 0) throw new Error(`rfm ${args.join(' ')} exited ${r.code}\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Every string anywhere in a JSON value (keys included). */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      strings(x, out);
    }
  return out;
}

describe('drift and the run webhook (built CLI processes)', function () {
  this.timeout(300_000);
  const tmp = tempDir('rfm-drift-');
  const registry = join(tmp.dir, 'registry.db');
  const reg = ['--registry', registry];
  const shifted = join(tmp.dir, 'prices-x5.csv');
  const received: { path: string; body: string }[] = [];
  let server: Server;
  let hook = '';
  const lines = sampleLines();
  const head = lines[0]!.split(',');
  // the ids as the run stores them (the export's text, e.g. "15291")
  const cids = new Set(
    lines
      .slice(1)
      .map((l) => l.split(','))
      .map((f) => f[field(f, head, 'CustomerID')]!)
      .filter((c) => c !== ''),
  );

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rfm?secret=abc`;
    writePricesTimes(shifted, 5);
    await ok(['train', SAMPLE, ...reg, '--k', '4', '--seed', '42']);
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    tmp.cleanup();
  });

  it('rfm models webhook: http(s) only; set by an admin action recorded in the history without the secret', async () => {
    const bad = await rfmAs(['models', 'webhook', 'customer-segments', '--url', 'file:///etc/passwd', ...reg]);
    expect(bad.code).to.equal(65);
    expect(bad.stderr).to.contain('only http:// and https:// URLs');
    const set = await ok(['models', 'webhook', 'customer-segments', '--url', hook, ...reg]);
    expect(set.webhook).to.equal(new URL(hook).origin);
    const h = await ok(['models', 'history', ...reg]);
    const ev = (h.events ?? h).find((e: { action: string }) => e.action === 'webhook');
    expect(ev.actor).to.equal('tester');
    expect(JSON.stringify(ev)).to.not.contain('secret=abc');
  });

  let plain: any;
  let moved: any;
  it('the training export itself: drift measured, no retraining advised', async () => {
    plain = await ok(['score', SAMPLE, ...reg, '--out', join(tmp.dir, 'a.csv'), '--save']);
    const d = plain.drift;
    console.log(
      `      unshifted: PSI r ${d.psi.recency.toFixed(4)} f ${d.psi.frequency.toFixed(4)} m ${d.psi.monetary.toFixed(4)}, ` +
        `outliers ${(d.outlierRate * 100).toFixed(2)}%, max share shift ${maxShift(d).toFixed(2)} pts`,
    );
    expect(plain.retrain_advised).to.equal(false);
    expect(d.reasons).to.deep.equal([]);
    for (const f of ['recency', 'frequency', 'monetary']) expect(d.psi[f]).to.be.below(0.01);
    expect(d.outlierRate).to.be.below(0.03);
    expect(maxShift(d)).to.be.below(1);
    expect(plain.webhook).to.include({ ok: true, attempts: 1, status: 200 });
  });

  it('prices ×5: monetary PSI, outliers and segment shares cross their thresholds; retraining advised with reasons', async () => {
    moved = await ok(['score', shifted, ...reg, '--out', join(tmp.dir, 'b.csv'), '--save']);
    const d = moved.drift;
    console.log(
      `      prices ×5: PSI r ${d.psi.recency.toFixed(4)} f ${d.psi.frequency.toFixed(4)} m ${d.psi.monetary.toFixed(4)}, ` +
        `outliers ${(d.outlierRate * 100).toFixed(2)}%, max share shift ${maxShift(d).toFixed(2)} pts; ${d.reasons.join('; ')}`,
    );
    expect(moved.retrain_advised).to.equal(true);
    expect(d.psi.monetary).to.be.at.least(0.25);
    // recency and frequency are untouched by prices
    expect(d.psi.recency).to.be.below(0.01);
    expect(d.psi.frequency).to.be.below(0.01);
    expect(d.reasons[0]).to.match(/^monetary PSI \d+\.\d\d ≥ 0\.25$/);
    expect(d.reasons.some((r: string) => /^outlier rate .* ≥ 3\.0%/.test(r))).to.equal(d.outlierRate >= 0.03);
  });

  it('rfm runs show prints the verdict and its reasons; --json carries the figures', async () => {
    const text = await rfmAs(['runs', 'show', moved.run_id, ...reg]);
    expect(text.code).to.equal(0);
    expect(text.stdout).to.contain('RETRAINING ADVISED: monetary PSI');
    const calm = await rfmAs(['runs', 'show', plain.run_id, ...reg]);
    expect(calm.stdout).to.contain('no retraining advised');
    const j = await ok(['runs', 'show', moved.run_id, ...reg]);
    expect(j.retrain_advised).to.equal(true);
    expect(j.drift.psi.monetary).to.equal(moved.drift.psi.monetary);
  });

  it('the webhook received one summary per saved run: shares, downgrades, drift; no customer id anywhere', () => {
    expect(received).to.have.length(2);
    const [a, b] = received.map((x) => JSON.parse(x.body));
    expect(received[0]!.path).to.equal('/rfm?secret=abc');
    expect(a).to.include({ event: 'run.saved', model: 'customer-segments', version: 1, run_id: plain.run_id });
    expect(a.previous_run).to.equal(null);
    expect(a.downgrades).to.deep.equal([]);
    expect(a.retrain_advised).to.equal(false);
    expect(b).to.include({ run_id: moved.run_id, previous_run: plain.run_id, retrain_advised: true });
    expect(b.snapshot_date).to.equal(moved.snapshot_date);
    expect(b.customers).to.equal(moved.customers);
    expect(b.segments.map((s: { customers: number }) => s.customers)).to.deep.equal(
      moved.summary.map((s: { customers: number }) => s.customers),
    );
    expect(b.drift.psi.monetary).to.equal(moved.drift.psi.monetary);
    expect(b.drift.reasons).to.deep.equal(moved.drift.reasons);
    for (const g of b.downgrades) expect(g.from).to.not.equal(g.to);
  });

  it('back to the real prices: the customers who fall back are the downgrades, largest revenue first', async () => {
    const back = await ok(['score', SAMPLE, ...reg, '--out', join(tmp.dir, 'c.csv'), '--save']);
    expect(received).to.have.length(3);
    const c = JSON.parse(received[2]!.body);
    expect(c).to.include({ run_id: back.run_id, previous_run: moved.run_id, retrain_advised: false });
    console.log(`      downgrades after prices ÷5: ${JSON.stringify(c.downgrades)}`);
    expect(c.downgrades.length).to.be.within(1, 5);
    for (const g of c.downgrades) {
      expect(g.customers).to.be.greaterThan(0);
      // revenue before is at the ×5 prices: five times the revenue after, for the same customers
      expect(g.revenue_before).to.be.closeTo(5 * g.revenue_after, 0.05 * g.revenue_before);
    }
    const rev = c.downgrades.map((g: { revenue_before: number }) => g.revenue_before);
    expect(rev).to.deep.equal([...rev].sort((x: number, y: number) => y - x));
    for (const x of received.map((r) => JSON.parse(r.body))) {
      const found = strings(x).filter((s) => cids.has(s));
      expect(found, 'customer ids in the payload').to.deep.equal([]);
      expect(strings(x)).to.not.include.members(['cid', 'customer_id', 'customers_blob']);
    }
  });

  it('a receiver that is down: the run is still saved, one warning line without the payload', async () => {
    await ok(['models', 'webhook', 'customer-segments', '--url', 'http://127.0.0.1:1/', ...reg]);
    await ok(['models', 'webhook', 'customer-segments', '--clear', ...reg]);
    expect((await ok(['models', 'webhook', 'customer-segments', ...reg])).webhook).to.equal(null);
    // a closed port on loopback (the receiver's, after it stops listening is racy: use a fresh server closed at once)
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    await ok(['models', 'webhook', 'customer-segments', '--url', `http://127.0.0.1:${port}/x`, ...reg]);
    const r = await rfmAs(['score', SAMPLE, ...reg, '--out', join(tmp.dir, 'd.csv'), '--save', '--json']);
    expect(r.code).to.equal(0);
    const j = JSON.parse(r.stdout);
    expect(j.run_id).to.match(/^r-/);
    expect(j.webhook).to.include({ ok: false, attempts: 3, status: null, error: 'ECONNREFUSED' });
    const warn = r.stderr.split('\n').filter((l) => l.includes('webhook'));
    expect(warn).to.have.length(1);
    expect(warn[0]).to.contain(`failed after 3 attempt(s): ECONNREFUSED; the run is saved`);
    expect(warn[0]).to.not.contain('segments');
  });

  it('the same export scored 180 days later (--as-of): recency PSI crosses the threshold', async () => {
    await ok(['models', 'webhook', 'customer-segments', '--clear', ...reg]);
    const late = await ok(['score', SAMPLE, ...reg, '--out', join(tmp.dir, 'e.csv'), '--as-of', '2012-06-07']);
    const d = late.drift;
    console.log(
      `      +180 days: PSI r ${d.psi.recency.toFixed(4)} f ${d.psi.frequency.toFixed(4)} m ${d.psi.monetary.toFixed(4)}, ` +
        `outliers ${(d.outlierRate * 100).toFixed(2)}%, max share shift ${maxShift(d).toFixed(2)} pts`,
    );
    expect(late.retrain_advised).to.equal(true);
    expect(d.psi.recency).to.be.at.least(0.25);
    expect(d.psi.frequency).to.be.below(0.01);
    expect(d.psi.monetary).to.be.below(0.01);
    expect(late.webhook).to.equal(null); // no webhook, and not saved
  });
});

function maxShift(d: { segments: { share: number; trainingShare: number }[] }): number {
  return Math.max(...d.segments.map((s) => Math.abs(s.share - s.trainingShare) * 100));
}

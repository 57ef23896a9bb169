import { expect } from 'chai';
import type { RunDiff } from '@rfm/runs';
import type { RunRecord } from '@rfm/registry';
import { assessDrift } from '@rfm/shared';
import { flowSentence, notableFlows, renderRunPage, renderRunsList } from './runs-page.js';
import { misnamedExport, notAnExport } from '../routes/ui-runs.js';

describe('run pages: notable flows in words', () => {
  const t = (from: string, to: string, customers: number, revenueBefore: number) => ({
    from,
    to,
    fromName: from === 'champions' ? 'Champions' : from === 'at_risk' ? 'At Risk' : 'Promising',
    toName: to === 'champions' ? 'Champions' : to === 'at_risk' ? 'At Risk' : 'Promising',
    customers,
    revenueBefore,
    revenueAfter: 0,
  });
  it('names the flow, its customers and last-period spend; worse segment = slipped', () => {
    expect(flowSentence(t('champions', 'at_risk', 12, 4120.4) as never)).to.equal(
      '12 Champions slipped to At Risk, worth 4,120 in last-period spend',
    );
    expect(flowSentence(t('at_risk', 'champions', 3, 99) as never)).to.equal(
      '3 At Risk moved up to Champions, worth 99 in last-period spend',
    );
  });
  it('notable flows leave out customers who stayed and put the most spend first', () => {
    const d = {
      byKey: [
        t('champions', 'champions', 50, 9000),
        t('promising', 'at_risk', 9, 100),
        t('champions', 'at_risk', 2, 800),
      ],
    } as unknown as RunDiff;
    expect(notableFlows(d).map((x) => `${x.from}>${x.to}`)).to.deep.equal(['champions>at_risk', 'promising>at_risk']);
  });
});

describe('upload check: files that cannot be a transaction export', () => {
  it('refuses images, PDFs, workbooks, binary and separator-less text; passes a CSV header', () => {
    expect(notAnExport(Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2]))).to.include('PNG image');
    expect(notAnExport(Buffer.from('%PDF-1.7\n'))).to.include('PDF');
    expect(notAnExport(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0]))).to.include('Excel');
    expect(notAnExport(Buffer.from([0x41, 0, 0x42]))).to.include('not text');
    expect(notAnExport(Buffer.from('just some words\nmore words\n'))).to.include('no column separator');
    expect(notAnExport(Buffer.from('InvoiceNo,StockCode,Quantity\n1,2,3\n'))).to.equal(null);
  });
  it('refuses a file named .parquet or .gz whose bytes are something else', () => {
    expect(misnamedExport('may.parquet', 'csv')).to.include('named .parquet but is not a Parquet file');
    expect(misnamedExport('May.CSV.GZ', 'csv')).to.include('named .gz but is not gzip-compressed');
    expect(misnamedExport('may.csv.gz', 'parquet')).to.include('named .gz');
    for (const [name, format] of [
      ['may.parquet', 'parquet'],
      ['may.csv.gz', 'csv.gz'],
      ['may.csv', 'csv'],
      ['export', 'parquet'],
    ])
      expect(misnamedExport(name, format), name).to.equal(null);
  });
});

describe('run page: training a new version on the run’s upload', () => {
  const run = {
    id: 'r-20261130-0000aaaa',
    modelName: 'customer-segments',
    version: 3,
    summary: [],
    rowsDropped: {},
    rowsRead: 10,
    customers: 2,
    snapshotDate: '2011-12-10',
    exportName: 'x.csv',
    exportSha256: 'ab'.repeat(32),
    createdAt: '2026-11-30T10:00:00.000Z',
    createdBy: 'web:a',
    facts: {},
  } as unknown as import('@rfm/registry').RunRecord;
  const admin = { actor: 'a', role: 'admin' as const, csrf: 'c' };
  const render = (retrain: { available: boolean; until: string | null; keepHours: number; k: number }) =>
    renderRunPage({ admin, run, diff: null, retrain });
  it('offers the form (k prefilled with the version’s) and says until when the upload is kept', () => {
    const p = render({ available: true, until: '2026-12-01T10:00:00.000Z', keepHours: 24, k: 5 });
    expect(p).to.include('id="retrain-form"').and.include('action="/runs/r-20261130-0000aaaa/retrain"');
    expect(p).to.include('<time datetime="2026-12-01T10:00:00.000Z">2026-12-01 10:00 UTC</time>');
    expect(p).to.match(/<option value="5" selected>5 \(as v3\)<\/option>/);
  });
  it('after the keeping time it says the upload is gone; on a server without the train command, not available', () => {
    const gone = render({ available: true, until: null, keepHours: 24, k: 4 });
    expect(gone).to.include('id="retrain-gone"').and.include('kept for 24 hours').and.not.include('retrain-form');
    const off = render({ available: false, until: '2026-12-01T10:00:00.000Z', keepHours: 24, k: 4 });
    expect(off).to.include('id="retrain-unavailable"').and.not.include('retrain-form');
  });
  it('a viewer sees why there is no form: training needs the admin role', () => {
    const p = renderRunPage({
      admin: { actor: 'vera', role: 'viewer', csrf: 'c' },
      run,
      diff: null,
      retrain: { available: true, until: '2026-12-01T10:00:00.000Z', keepHours: 24, k: 4 },
    });
    expect(p)
      .to.include('Training a new version needs the admin role; vera is a viewer.')
      .and.not.include('retrain-form');
  });
});

describe('run page: drift against the training customers', () => {
  const facts = {
    exportName: 'june.csv',
    exportSha256: 'c'.repeat(64),
    snapshotDate: '2026-06-30',
    rowsRead: 10,
    rowsDropped: {},
    customers: 4,
    frequencyBasis: 'invoices',
    modelName: 'm',
    version: 1,
  };
  const run = (drift: RunRecord['drift']): RunRecord => ({
    id: 'r-20260630-abcdef01',
    ...facts,
    createdBy: 'ann',
    createdAt: '2026-06-30T10:00:00.000Z',
    summary: [],
    facts,
    customersEncoding: 'rfm-customers-v1',
    customersBytes: 10,
    drift,
  });
  const page = (drift: RunRecord['drift']) =>
    renderRunPage({ admin: { actor: 'ann', csrf: 'x' }, run: run(drift), diff: null });

  it('retraining advised: the reasons in words, PSI per feature, outliers, shares at training vs now', () => {
    const d = assessDrift({
      trainingCustomers: 296,
      psi: { recency: 0.001, frequency: 0, monetary: 3.0603 },
      outlierRate: 0.0642,
      segments: [
        { segment: 'Loyal Customers', key: 'loyal_customers', cluster: 1, trainingShare: 0.206, share: 0.517 },
      ],
    });
    const html = page(d);
    expect(html).to.contain('id="retrain-advised"');
    expect(html).to.contain('<li>monetary PSI 3.06 ≥ 0.25</li>');
    expect(html).to.contain('<li>outlier rate 6.4% ≥ 3.0% (about 1% expected)</li>');
    expect(html).to.contain('<span id="psi-monetary">3.060</span>');
    expect(html).to.match(
      /<th scope="row">Loyal Customers<\/th><td class="num">20\.6%<\/td><td class="num">51\.7%<\/td>\s*<td class="num">\+31\.1<\/td>/,
    );
    expect(html).to.not.contain('drift-not-measured');
  });

  it('within thresholds: says so; a run saved before drift was recorded: not measured', () => {
    const calm = assessDrift({
      trainingCustomers: 296,
      psi: { recency: 0, frequency: 0, monetary: 0 },
      outlierRate: 0.0135,
      segments: [],
    });
    expect(page(calm)).to.contain('id="retrain-not-advised"');
    expect(page(calm)).to.not.contain('id="retrain-advised"');
    const list = (drift: RunRecord['drift']) =>
      renderRunsList({ admin: { actor: 'ann', csrf: 'x' }, saved: [run(drift)], jobs: [] });
    expect(list(calm)).to.not.contain('data-retrain');
    expect(list({ ...calm, retrainAdvised: true, reasons: ['x'] })).to.contain('data-retrain="advised"');
    const old = page(null);
    expect(old).to.contain('id="drift-not-measured"');
    expect(old).to.not.contain('psi-monetary');
  });
});

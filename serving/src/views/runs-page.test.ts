import { expect } from 'chai';
import type { RunDiff } from '@rfm/runs';
import { flowSentence, notableFlows, renderRunPage } from './runs-page.js';
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
  } as unknown as import('@rfm/registry').RunRecord;
  const admin = { actor: 'a', csrf: 'c' };
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
});

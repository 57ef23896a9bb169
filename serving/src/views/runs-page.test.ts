import { expect } from 'chai';
import type { RunDiff } from '@rfm/runs';
import { flowSentence, notableFlows } from './runs-page.js';
import { notAnExport } from '../routes/ui-runs.js';

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
});

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readExport } from '@rfm/ingest';
import { estimateRhythm, usualGap } from './rhythm.js';
import { writeUci } from '@rfm/ingest/testing';
import { uciLikeShop } from './test-support/shops.js';

describe('the shop purchase rhythm names are judged against', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rfm-rhythm-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is measured by the export reader: median of each repeat customer’s (last − first day) / (purchases − 1)', async () => {
    // the hand-made export: 13047 bought 12/5 and 12/7 (gap 2), 17850 twice on 12/1 (gap 0), 12346 once
    const { summary } = await readExport(writeUci(dir));
    expect(summary.purchase_rhythm).to.deep.equal({
      median_gap_days: 1,
      repeat_customers: 2,
      span_days: 12,
      basis: 'transactions',
    });
    // two repeat customers are too few to trust: a quarter of the 12-day span instead
    expect(usualGap(summary.purchase_rhythm!)).to.deep.equal({
      days: 3,
      basis: "a quarter of the data's 12-day span: only 2 repeat customers, too few to measure the gap",
    });
  });

  it('is bounded from recency and frequency alone for --features tables, and says so', () => {
    const shop = uciLikeShop();
    const est = estimateRhythm(shop.table);
    expect(est.basis).to.equal('rfm_table');
    expect(est.repeat_customers).to.equal(shop.rhythm.repeat_customers);
    // an upper bound of the measured 23.3 days
    expect(est.median_gap_days!).to.be.greaterThan(shop.rhythm.median_gap_days!);
    expect(usualGap(est).basis).to.equal(
      'median gap between purchases of the 851 repeat customers (an upper bound: the RFM table has no first-purchase dates)',
    );
    expect(usualGap({ ...est, median_gap_days: 0.2 }).days).to.equal(1);
  });
});

import { expect } from 'chai';
import { segmentSharesChart, sharesAlt } from './index.js';

describe('scoring run chart: share of customers beside share of revenue', () => {
  const rows = [
    { segment: 'Champions', customerShare: 0.09, revenueShare: 0.48 },
    { segment: 'At Risk', customerShare: 0.31, revenueShare: 0.12 },
  ];
  it('is one standalone SVG naming every segment with both shares as labels, no script', () => {
    const svg = segmentSharesChart(rows);
    expect(svg).to.match(/^<svg width="480" height="\d+" xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).to.not.match(/<script|on[a-z]+=/i);
    for (const s of ['Champions', 'At Risk', '9.0%', '48.0%', '31.0%', '12.0%', 'share of revenue'])
      expect(svg, s).to.include(`>${s}<`);
  });
  it('has a text alternative with every number', () => {
    expect(sharesAlt(rows)).to.include('Champions 9.0% of customers, 48.0% of revenue');
  });
  it('labels say what the table says: 75 of 2,545 is 2.9% (not 3.0% from rounding twice); the axis ends on a round 100%', () => {
    const svg = segmentSharesChart([
      { segment: 'Champions', customerShare: 2 / 6, revenueShare: 2100 / 2545 },
      { segment: 'Loyal Customers', customerShare: 1 / 6, revenueShare: 75 / 2545 },
    ]);
    for (const s of ['2.9%', '82.5%', '33.3%', '16.7%', '100%']) expect(svg, s).to.include(`>${s}<`);
    for (const s of ['3.0%', '90%']) expect(svg, s).to.not.include(`>${s}<`);
  });
});

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
});

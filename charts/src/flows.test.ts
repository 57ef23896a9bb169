import { expect } from 'chai';
import { flowChart, flowsAlt } from './index.js';

describe('flows between segments (Sankey, server-side SVG)', () => {
  const flows = [
    { from: 'Champions', to: 'Champions', customers: 100 },
    { from: 'Champions', to: 'At Risk', customers: 12, revenue: 4100 },
    { from: 'At Risk', to: 'Champions', customers: 3 },
  ];
  it('draws both sides with each segment’s customers and no script', () => {
    const svg = flowChart(flows, { before: 'v1', after: 'v2' });
    expect(svg).to.match(/^<svg width="640" height="\d+" xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).to.not.match(/<script|on[a-z]+=/i);
    // left: Champions 112 (100 + 12), At Risk 3; right: Champions 103, At Risk 12
    for (const label of ['Champions 112', 'At Risk 3', 'Champions 103', 'At Risk 12', 'v1', 'v2'])
      expect(svg, label).to.include(`>${label}<`);
  });
  it('has a text alternative naming the flows that moved, largest first', () => {
    expect(flowsAlt(flows)).to.equal(
      '12 from Champions to At Risk (revenue 4,100); 3 from At Risk to Champions; 100 stayed in their segment.',
    );
  });
});

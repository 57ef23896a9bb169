import { expect } from 'chai';
import { makeArtifact } from '@rfm/shared/testing';
import { summarize } from './summary.js';
import { customers } from './test-support.js';

describe('summarize', () => {
  it('gives customers, revenue, their shares and median R/F/M per segment, empty segments included', () => {
    const a = makeArtifact(); // k = 4
    const c = customers(['a', 'b', 'c', 'd', 'e'], [0, 0, 0, 1, 1], [100, 300, 200, 50, 350]);
    const s = summarize(c, a.segments);
    expect(s.map((x) => x.cluster)).to.deep.equal([0, 1, 2, 3]);
    expect(s.map((x) => x.segment)).to.deep.equal(
      [...a.segments].sort((x, y) => x.cluster - y.cluster).map((x) => x.name),
    );
    expect(s[0]).to.include({ customers: 3, customerShare: 0.6, revenue: 600, revenueShare: 0.6, medianMonetary: 200 });
    expect(s[0]!.medianRecency).to.equal(11); // recency 10, 11, 12
    expect(s[1]).to.include({ customers: 2, revenue: 400, revenueShare: 0.4, medianMonetary: 200 });
    expect(s[2]).to.include({ customers: 0, revenue: 0, customerShare: 0, medianRecency: null });
    expect(s.reduce((t, x) => t + x.customers, 0)).to.equal(5);
  });
});

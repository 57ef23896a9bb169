import { expect } from 'chai';
import { trainingRevenue } from './revenue.js';

describe('trainingRevenue', () => {
  it('sums size × mean monetary per segment and gives shares of the total', () => {
    const seg = (cluster: number, size: number, monetary: number) => ({
      cluster,
      size,
      mean: { recency: 1, frequency: 1, monetary },
    });
    const r = trainingRevenue([seg(0, 10, 50), seg(1, 30, 100), seg(2, 0, 7)]);
    expect(r.get(0)).to.deep.equal({ revenue: 500, share: 500 / 3500 });
    expect(r.get(1)).to.deep.equal({ revenue: 3000, share: 3000 / 3500 });
    expect(r.get(2)).to.deep.equal({ revenue: 0, share: 0 });
  });
});

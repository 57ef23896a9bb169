import { expect } from 'chai';
import { adjustedRandIndex, percentileSorted, quintiles } from './stats.js';

describe('stats', () => {
  it('percentiles interpolate linearly like numpy', () => {
    expect(percentileSorted([1, 2, 3, 4], 50)).to.equal(2.5);
    expect(quintiles([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])).to.deep.equal([3, 5, 7, 9]);
  });

  it('adjusted Rand index: 1 for the same partition under relabelling, sklearn values otherwise', () => {
    expect(adjustedRandIndex([0, 0, 1, 1, 2, 2], [2, 2, 0, 0, 1, 1])).to.equal(1);
    // sklearn.metrics.adjusted_rand_score([0,0,1,1],[0,0,1,2]) = 0.5714285714285715
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2])).to.be.closeTo(0.5714285714285715, 1e-12);
    // contingency [[2,1],[1,2]]: index 2, expected 36/15, max 6 → (2 − 2.4) / (6 − 2.4) = −1/9
    expect(adjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 1, 0, 1, 0, 1])).to.be.closeTo(-1 / 9, 1e-12);
  });
});

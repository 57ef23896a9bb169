import { expect } from 'chai';
import { nameClusters, scoreRfm, segmentForScores, SEGMENT_CATALOGUE } from './segments.js';

// Population quintile break points: recency days, purchases, spend.
const q = { recency: [12, 30, 70, 180], frequency: [1, 2, 3, 6], monetary: [250, 500, 1000, 2500] };

describe('segment naming', () => {
  it('scores 1–5 against quintiles, recency reversed, ties with a break score low', () => {
    expect(scoreRfm({ recency: 5, frequency: 10, monetary: 5000 }, q)).to.deep.equal({ r: 5, f: 5, m: 5 });
    expect(scoreRfm({ recency: 300, frequency: 1, monetary: 100 }, q)).to.deep.equal({ r: 1, f: 1, m: 1 });
    expect(scoreRfm({ recency: 30, frequency: 2, monetary: 500 }, q)).to.deep.equal({ r: 4, f: 2, m: 2 });
    expect(scoreRfm({ recency: 31, frequency: 2.5, monetary: 501 }, q)).to.deep.equal({ r: 3, f: 3, m: 3 });
  });

  it('maps every (R, FM) cell of the grid to exactly the catalogue segment', () => {
    const grid: Record<string, string> = {};
    for (let r = 1; r <= 5; r++)
      for (let fm = 1; fm <= 5; fm++) grid[`${r}${fm}`] = segmentForScores({ r, f: fm, m: fm }).key;
    expect(grid).to.deep.equal({
      '11': 'lost',
      '12': 'hibernating',
      '13': 'at_risk',
      '14': 'at_risk',
      '15': 'cant_lose_them',
      '21': 'hibernating',
      '22': 'hibernating',
      '23': 'at_risk',
      '24': 'at_risk',
      '25': 'cant_lose_them',
      '31': 'about_to_sleep',
      '32': 'about_to_sleep',
      '33': 'need_attention',
      '34': 'loyal_customers',
      '35': 'loyal_customers',
      '41': 'promising',
      '42': 'potential_loyalists',
      '43': 'potential_loyalists',
      '44': 'loyal_customers',
      '45': 'loyal_customers',
      '51': 'new_customers',
      '52': 'potential_loyalists',
      '53': 'potential_loyalists',
      '54': 'champions',
      '55': 'champions',
    });
    // FM is the rounded mean of F and M
    expect(segmentForScores({ r: 5, f: 5, m: 2 }).key).to.equal('champions'); // (5+2)/2 = 3.5 → 4
    expect(segmentForScores({ r: 5, f: 4, m: 1 }).key).to.equal('potential_loyalists'); // 2.5 → 3
  });

  it('names four typical k-means centroids as a marketer would', () => {
    const centroids = [
      { recency: 8, frequency: 12, monetary: 6000 }, // recent, frequent, big
      { recency: 250, frequency: 1, monetary: 150 }, // long gone, one small order
      { recency: 40, frequency: 3, monetary: 700 }, // middling
      { recency: 5, frequency: 1, monetary: 200 }, // just arrived
    ];
    const named = nameClusters(centroids, [400, 1500, 1200, 300], q);
    expect(named.map((n) => n.name)).to.deep.equal(['Champions', 'Lost', 'Need Attention', 'New Customers']);
    expect(named.map((n) => n.scores)).to.deep.equal([
      { r: 5, f: 5, m: 5 },
      { r: 1, f: 1, m: 1 },
      { r: 3, f: 3, m: 3 },
      { r: 5, f: 1, m: 1 },
    ]);
    expect(named[0]!.description).to.match(/recently/);
    expect(named[0]!.action.length).to.be.greaterThan(10);
  });

  it('keeps names unique: the bigger cluster keeps the best-fitting name, the other gets the nearest free one', () => {
    const twoLost = [
      { recency: 300, frequency: 1, monetary: 90 },
      { recency: 280, frequency: 1, monetary: 120 },
      { recency: 6, frequency: 15, monetary: 9000 },
    ];
    const named = nameClusters(twoLost, [100, 900, 50], q);
    expect(named.map((n) => n.key)).to.deep.equal(['hibernating', 'lost', 'champions']);
    expect(new Set(named.map((n) => n.name)).size).to.equal(3);
  });

  it('gives every one of 11 identical clusters a distinct catalogue name, and numbers the 12th', () => {
    const same = Array.from({ length: 12 }, () => ({ recency: 40, frequency: 3, monetary: 700 }));
    const named = nameClusters(
      same,
      same.map(() => 10),
      q,
    );
    const names = named.map((n) => n.name);
    expect(new Set(names).size).to.equal(12);
    expect(new Set(named.slice(0, 11).map((n) => n.key)).size).to.equal(SEGMENT_CATALOGUE.length);
    expect(names[11]).to.match(/ 2$/);
  });
});

import { expect } from 'chai';
import fc from 'fast-check';
import { type ClusterFacts, nameClusters, rhythmScore, scoreRfm, segmentForScores, tieAwareScore } from './segments.js';

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
});

// The UCI Online Retail export (4,338 customers): quintiles, and its shop rhythm — repeat customers
// buy every 53.5 days (median of each one's mean gap), as rfm measures it on the full export.
const UCI_Q = {
  recency: [13.8, 33, 72, 180],
  frequency: [1, 2, 3, 6],
  monetary: [250.19, 490.1, 942.28, 2058.43],
};
const UCI_GAP = 53.5;
const facts = (cluster: number, recency: number, frequency: number, monetary: number, size = 100): ClusterFacts => ({
  cluster,
  size,
  median: { recency, frequency, monetary },
  scores: scoreRfm({ recency, frequency, monetary }, UCI_Q),
});

describe('segment names judged against the shop rhythm', () => {
  it("UCI at k = 6 (medians of the real fit): the best customers are Champions, never Can't Lose Them", () => {
    const named = nameClusters(
      [
        facts(0, 240, 1, 233.22, 979),
        facts(1, 30, 7, 2502.84, 667),
        facts(2, 10, 4, 994.41, 612),
        facts(3, 5, 15, 5900.28, 323),
        facts(4, 90, 3, 880.85, 941),
        facts(5, 36, 1, 293.75, 816),
      ],
      UCI_Q,
      UCI_GAP,
    );
    expect(named.map((n) => n.name)).to.deep.equal([
      'Hibernating',
      'Loyal Customers',
      'Champions — 994 spent',
      'Champions — 5,900 spent',
      'Need Attention',
      'Promising',
    ]);
    expect(named.map((n) => n.key)).to.deep.equal([
      'hibernating',
      'loyal_customers',
      'champions',
      'champions',
      'need_attention',
      'promising',
    ]);
    const best = named[3]!;
    expect(best.naming).to.deep.include({
      rule: 'region',
      region: 'champions',
      base_name: 'Champions',
      qualifier: '5,900 spent',
    });
    expect(best.naming.because).to.deep.equal([
      'last purchase 5 days ago, 0.1× the usual gap of 54 days (recency score 5)',
      '15 purchases (frequency score 5)',
      '5,900 spent (spend score 5)',
    ]);
    // 240 days is 4.5 usual gaps: long ago, but not yet "Lost" (beyond 6); the refusal is recorded.
    expect(named[0]!.naming.rule).to.equal('nearest');
    expect(named[0]!.naming.because).to.include(
      'not Lost: the last purchase was only 240 days ago, 4.5× the usual gap (6× or less)',
    );
    // one-time buyers are not Potential Loyalists, and the page says so
    expect(named[5]!.naming.because.at(-1)).to.equal(
      'not Potential Loyalists: the median customer made 1 purchase: one-time buyers',
    );
  });

  it('UCI at k = 8: the group with 19 purchases 5 days ago is Champions, not New Customers', () => {
    const named = nameClusters(
      [
        facts(0, 248, 1, 215.71),
        facts(1, 29, 3, 945.58),
        facts(2, 39, 7, 2712.91),
        facts(3, 6, 7, 2097.26),
        facts(4, 5, 19, 8338.49),
        facts(5, 48, 1, 270.8),
        facts(6, 9, 2, 436.89),
        facts(7, 125, 2, 780.46),
      ],
      UCI_Q,
      UCI_GAP,
    );
    expect(named.map((n) => n.name)).to.deep.equal([
      'Hibernating',
      'Loyal Customers — last purchase 29 days ago',
      'Loyal Customers — top spenders',
      'Champions — 2,097 spent',
      'Champions — 8,338 spent',
      'Promising',
      'Potential Loyalists',
      'At Risk',
    ]);
    expect(named[7]!.naming.because[0]).to.equal(
      'last purchase 125 days ago, 2.3× the usual gap of 54 days (recency score 2)',
    );
  });

  it('a cohort that stopped buying: ranks would call the latest of them recent; the rhythm does not', () => {
    // Everyone bought in the first months of an 18-month window; repeat buyers bought every 20 days.
    const q = { recency: [380, 420, 450, 480], frequency: [1, 1, 1, 3], monetary: [40, 60, 90, 200] };
    const c = (cluster: number, r: number, f: number, m: number): ClusterFacts => ({
      cluster,
      size: 100,
      median: { recency: r, frequency: f, monetary: m },
      scores: scoreRfm({ recency: r, frequency: f, monetary: m }, q),
    });
    const named = nameClusters([c(0, 420, 1, 55), c(1, 470, 1, 70), c(2, 390, 4, 260)], q, 20);
    // The quintile scores shown still rank them (R 4 for the latest); no name calls them recent.
    expect(named.map((n) => n.scores.r)).to.deep.equal([4, 2, 4]);
    expect(named.map((n) => n.name)).to.deep.equal([
      'Hibernating — last purchase 420 days ago',
      'Hibernating — top spenders',
      'Inactive high-spending repeat buyers',
    ]);
    expect(named[2]!.key).to.equal('cant_lose_them'); // its region's key: runs compare by key
    expect(named[2]!.naming.rule).to.equal('descriptive');
    expect(named[2]!.naming.because.at(-1)).to.equal(
      "no catalogue name fits: Can't Lose Them — it is the segment that bought most recently (390 days ago)",
    );
    expect(named[2]!.description).to.equal(
      "Last purchase 390 days ago (20× the shop's usual gap of 20 days); typically 4 purchases and 260 spent.",
    );
  });

  it('Inactive one-time buyers: the plain name when no catalogue description holds', () => {
    const q = { recency: [300, 320, 340, 360], frequency: [1, 1, 1, 1], monetary: [20, 30, 40, 50] };
    const named = nameClusters(
      [
        { cluster: 0, size: 50, median: { recency: 310, frequency: 1, monetary: 25 }, scores: { r: 5, f: 1, m: 2 } },
        { cluster: 1, size: 50, median: { recency: 350, frequency: 1, monetary: 45 }, scores: { r: 1, f: 1, m: 4 } },
      ],
      q,
      30,
    );
    // the latest of them may not be called Hibernating (most recent segment), nor Lost
    expect(named.map((n) => n.name)).to.deep.equal(['Inactive one-time buyers', 'Hibernating']);
    expect(named[0]!.naming.rule).to.equal('descriptive');
    expect(named[0]!.naming.rejected.map((r) => r.key)).to.deep.equal([
      'hibernating',
      'at_risk',
      'lost',
      'about_to_sleep',
    ]);
  });

  it('two groups of champions share the name, told apart by what each leads on', () => {
    const named = nameClusters([facts(0, 4, 9, 12000), facts(1, 6, 30, 6000)], UCI_Q, UCI_GAP);
    expect(named.map((n) => n.name)).to.deep.equal(['Champions — top spenders', 'Champions — frequent']);
    expect(named.map((n) => n.key)).to.deep.equal(['champions', 'champions']);
  });

  it('a subscription shop where everyone buys monthly: nobody active is called lapsed', () => {
    // Every customer bought 12 times (ties everywhere); the usual gap is 30 days.
    const q = { recency: [5, 10, 15, 22], frequency: [12, 12, 12, 12], monetary: [300, 320, 340, 360] };
    const c = (cluster: number, r: number, f: number, m: number): ClusterFacts => ({
      cluster,
      size: 100,
      median: { recency: r, frequency: f, monetary: m },
      scores: scoreRfm({ recency: r, frequency: f, monetary: m }, q),
    });
    const named = nameClusters([c(0, 4, 12, 360), c(1, 25, 12, 300), c(2, 120, 5, 150)], q, 30);
    // cluster 1's quintile R is 1 (older than most), but 25 days is within the 30-day rhythm
    expect(named[1]!.scores.r).to.equal(1);
    expect(named.map((n) => n.name)).to.deep.equal(['Champions', 'Potential Loyalists', 'Hibernating']);
  });

  it('scores within the rhythm band: ranks pick inside it, never outside', () => {
    expect(rhythmScore(0.5, 1)).to.equal(4);
    expect(rhythmScore(0.5, 5)).to.equal(5);
    expect(rhythmScore(1.5, 5)).to.equal(4);
    expect(rhythmScore(2.5, 5)).to.equal(3);
    expect(rhythmScore(5, 5)).to.equal(2);
    expect(rhythmScore(9, 5)).to.equal(1);
    expect(tieAwareScore(12, [12, 12, 12, 12])).to.equal(3);
    expect(tieAwareScore(1, [1, 2, 3, 6])).to.equal(1);
    expect(tieAwareScore(7, [1, 2, 3, 6])).to.equal(5);
  });
});

describe('segment names: properties over random clusters (fast-check)', () => {
  const RECENT_WORDS = /\b(recent|recently|new|active)\b/i;
  const sorted4 = (lo: number, hi: number) =>
    fc
      .array(fc.double({ min: lo, max: hi, noNaN: true }), { minLength: 4, maxLength: 4 })
      .map((a) => a.sort((x, y) => x - y));
  const cluster = fc.record({
    recency: fc.integer({ min: 0, max: 1000 }),
    frequency: fc.oneof(fc.constant(1), fc.constant(1.5), fc.integer({ min: 1, max: 200 })),
    monetary: fc.double({ min: 1, max: 1e6, noNaN: true }),
    size: fc.integer({ min: 0, max: 5000 }),
  });
  it('recent/new/active only within 2 usual gaps; loyal/champions never at one purchase; no lapsed name for the latest', () => {
    fc.assert(
      fc.property(
        fc.array(cluster, { minLength: 1, maxLength: 12 }),
        sorted4(0, 1000),
        sorted4(1, 50),
        sorted4(1, 1e5),
        fc.double({ min: 0.5, max: 400, noNaN: true }),
        (cs, qr, qf, qm, gap) => {
          const q = { recency: qr, frequency: qf, monetary: qm };
          const named = nameClusters(
            cs.map((c, i) => ({
              cluster: i,
              size: c.size,
              median: { recency: c.recency, frequency: c.frequency, monetary: c.monetary },
              scores: scoreRfm(c, q),
            })),
            q,
            gap,
          );
          const g = Math.max(1, gap);
          const populated = cs.filter((c) => c.size > 0);
          const latest = Math.min(...(populated.length ? populated : cs).map((c) => c.recency));
          named.forEach((n, i) => {
            const c = cs[i]!;
            if (RECENT_WORDS.test(`${n.name} ${n.description}`)) expect(c.recency).to.be.at.most(2 * g);
            if (/loyal|champion/i.test(n.name)) expect(c.frequency).to.be.at.least(2);
            if (cs.length > 1 && c.recency === latest && (c.size > 0 || !populated.length))
              expect(n.name).not.to.match(/at risk|can't lose|hibernating|\blost\b/i);
            expect(n.naming.base_name.length).to.be.greaterThan(0);
            expect(n.name.startsWith(n.naming.base_name)).to.equal(true);
          });
          expect(new Set(named.map((n) => n.name)).size).to.equal(named.length);
        },
      ),
      { numRuns: 1000, seed: 4242 },
    );
  });
});

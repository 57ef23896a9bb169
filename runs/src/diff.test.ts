import { expect } from 'chai';
import { mulberry32 } from '@rfm/shared';
import { diffRuns, transitionCustomers } from './diff.js';
import { customers, savedRun } from './test-support.js';
import type { SegmentKey } from './labels.js';

const FOUR: [string, SegmentKey][] = [
  ['Champions', 'champions'],
  ['At Risk', 'at_risk'],
  ['Hibernating', 'hibernating'],
  ['New Customers', 'new_customers'],
];

describe('diffRuns', () => {
  it('counts every (from, to) pair; the matrix sums to the customers in both runs and matches an independent count', () => {
    const rnd = mulberry32(5);
    const idsA = Array.from({ length: 3000 }, (_, i) => `c${String(i).padStart(5, '0')}`);
    // B: drops 200 of A's customers, adds 300 new ones; everybody's cluster drawn at random
    const idsB = [...idsA.slice(200), ...Array.from({ length: 300 }, (_, i) => `n${i}`)].sort();
    const ca = customers(
      idsA,
      idsA.map(() => Math.floor(rnd() * 4)),
    );
    const cb = customers(
      idsB,
      idsB.map(() => Math.floor(rnd() * 4)),
    );
    const d = diffRuns(savedRun('r-20260101-aaaaaa', ca, FOUR), savedRun('r-20260201-bbbbbb', cb, FOUR));
    // independent count: a Map over the ids, no merge join
    const inA = new Map(idsA.map((id, i) => [id, ca.cluster[i]!]));
    const expected = new Map<string, number>();
    let both = 0;
    idsB.forEach((id, i) => {
      const f = inA.get(id);
      if (f === undefined) return;
      both++;
      const key = `${FOUR[f]![0]}>${FOUR[cb.cluster[i]!]![0]}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    });
    const got = new Map(d.transitions.map((t) => [`${t.from}>${t.to}`, t.customers]));
    expect(got).to.deep.equal(expected);
    expect(both).to.equal(2800);
    expect(d.totals).to.include({ inBoth: 2800, appeared: 300, disappeared: 200 });
    expect(d.transitions.reduce((s, t) => s + t.customers, 0)).to.equal(2800);
    expect(d.appeared.reduce((s, m) => s + m.customers, 0)).to.equal(300);
    expect(d.totals.stayed + d.totals.moved).to.equal(2800);
    // row sums: customers of A's segment that are still there
    for (const [f, [name]] of FOUR.entries()) {
      const rowSum = d.transitions.filter((t) => t.from === name).reduce((s, t) => s + t.customers, 0);
      const stillThere = idsA.filter((id, i) => ca.cluster[i] === f && idsB.includes(id)).length;
      expect(rowSum, name).to.equal(stillThere);
    }
    // revenue moved: sum of B's monetary over the pair's customers
    const t0 = d.transitions[0]!;
    const list = transitionCustomers(savedRun('r-20260101-aaaaaa', ca, FOUR), savedRun('r-20260201-bbbbbb', cb, FOUR), {
      from: t0.from,
      to: t0.to,
    });
    expect(list).to.have.length(t0.customers);
    expect(list.reduce((s, x) => s + x.monetaryAfter, 0)).to.be.closeTo(t0.revenueAfter, 1e-6);
  });

  it('matches segments across versions with different k by catalogue key; relabelled and shared-key names shown in full and summed', () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    // v1, k=3: a relabel of Champions
    const a = savedRun('r-20260101-aaaaaa', customers(ids, [0, 0, 1, 1, 2, 2]), [
      ['Best buyers', 'champions'],
      ['At Risk', 'at_risk'],
      ['Lost', 'lost'],
    ]);
    // v2, k=4, clusters renumbered; two clusters share the at_risk key under qualified names
    const b = savedRun(
      'r-20260201-bbbbbb',
      customers(ids, [3, 1, 2, 0, 1, 0]),
      [
        ['At Risk — high spend', 'at_risk'],
        ['At Risk — low spend', 'at_risk'],
        ['Lost', 'lost'],
        ['Champions', 'champions'],
      ],
      { version: 2 },
    );
    const d = diffRuns(a, b);
    const pairs = Object.fromEntries(d.transitions.map((t) => [`${t.from} > ${t.to}`, t.customers]));
    expect(pairs).to.deep.equal({
      'Best buyers (Champions) > Champions': 1,
      'Best buyers (Champions) > At Risk — low spend (At Risk)': 1,
      'At Risk > Lost': 1,
      'At Risk > At Risk — high spend (At Risk)': 1,
      'Lost > At Risk — low spend (At Risk)': 1,
      'Lost > At Risk — high spend (At Risk)': 1,
    });
    const byKey = Object.fromEntries(d.byKey.map((t) => [`${t.from}>${t.to}`, t.customers]));
    expect(byKey).to.deep.equal({
      'champions>champions': 1,
      'champions>at_risk': 1,
      'at_risk>lost': 1,
      'at_risk>at_risk': 1,
      'lost>at_risk': 2,
    });
    expect(d.totals).to.include({ stayed: 2, moved: 4 });
    expect(d.a.version).to.equal(1);
    expect(d.b.version).to.equal(2);
    // --from by catalogue key reaches the relabelled segment; --to by catalogue name covers both qualified ones
    expect(transitionCustomers(a, b, { from: 'champions', to: 'At Risk' }).map((x) => x.cid)).to.deep.equal(['b']);
    expect(transitionCustomers(a, b, { to: 'at_risk' }).map((x) => x.cid)).to.deep.equal(['b', 'd', 'e', 'f']);
  });

  it('refuses runs of different models and a segment no run has, naming them', () => {
    const c = customers(['a'], [0]);
    const a = savedRun('r-20260101-aaaaaa', c, FOUR, { model: 'uk' });
    const b = savedRun('r-20260201-bbbbbb', c, FOUR, { model: 'de' });
    expect(() => diffRuns(a, b)).to.throw(/different models \("uk" and "de"\)/);
    const b2 = savedRun('r-20260201-bbbbbb', c, FOUR, { model: 'uk' });
    expect(() => transitionCustomers(a, b2, { from: 'Whales' })).to.throw(
      /run r-20260101-aaaaaa has no segment "Whales"/,
    );
  });
});

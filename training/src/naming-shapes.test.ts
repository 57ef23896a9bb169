import { expect } from 'chai';
import fc from 'fast-check';
import { mulberry32, RECENT_WITHIN_GAPS, SEGMENT_CATALOGUE, type ArtifactSegment } from '@rfm/shared';
import { fitShop } from './test-support/fit-shop.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from './train.js';
import {
  separatedGroups,
  shopCsv,
  shopOf,
  stoppedCohortShop,
  subscriptionShop,
  uciLikeShop,
  whalesShop,
} from './test-support/shops.js';

/** "name | R F M" of each segment (medians: days, purchases, money), most recent first. */
const profile = (segs: ArtifactSegment[]) =>
  [...segs]
    .sort((a, b) => a.median!.recency - b.median!.recency)
    .map((s) => `${s.name} | ${s.median!.recency} ${s.median!.frequency} ${Math.round(s.median!.monetary)}`);

const RECENT_WORDS = /\b(recent|recently|new|active)\b/i;
const LOYAL_WORDS = /loyal|champion/i;
const LAPSED_WORDS = /at risk|can't lose|hibernating|\blost\b/i;

/** The rules, checked on any named model. */
function checkRules(segs: ArtifactSegment[], usualGap: number, where: string) {
  const populated = segs.filter((s) => s.size > 0);
  const latest = Math.min(...populated.map((s) => s.median!.recency));
  for (const s of populated) {
    const text = `${s.name} ${s.description}`;
    const m = s.median!;
    if (RECENT_WORDS.test(text))
      expect(m.recency, `${where}: "${s.name}" says recent/new/active`).to.be.at.most(RECENT_WITHIN_GAPS * usualGap);
    if (LOYAL_WORDS.test(s.name)) expect(m.frequency, `${where}: "${s.name}" with one purchase`).to.be.at.least(2);
    if (m.recency === latest) expect(s.name, `${where}: the most recent segment`).not.to.match(LAPSED_WORDS);
    expect(SEGMENT_CATALOGUE.map((c) => c.key)).to.include(s.key);
    expect(s.naming!.because.length).to.be.at.least(3);
  }
  expect(new Set(segs.map((s) => s.name)).size, `${where}: names unique`).to.equal(segs.length);
}

describe('segment names on generated shops of several shapes', function () {
  this.timeout(120_000);

  it('UCI-like mix: champions, newcomers, at risk, hibernating — and the whales of k = 6 stay Champions', async () => {
    const shop = uciLikeShop();
    expect(shop.rhythm.median_gap_days).to.be.closeTo(23.29, 0.01);
    const k4 = await fitShop(shop, 4);
    expect(profile(k4.segments)).to.deep.equal([
      'Champions | 12 16 5714',
      'New Customers | 22 1 368',
      'At Risk | 139 4 1049',
      'Hibernating | 215.5 1 264',
    ]);
    const newcomers = k4.segments.find((s) => s.name === 'New Customers')!;
    expect(newcomers.naming!.because).to.deep.equal([
      'last purchase 22 days ago, 0.9× the usual gap of 23 days (recency score 5)',
      '1 purchase (frequency score 1)',
      '368 spent (spend score 2)',
      'not Potential Loyalists: the median customer made 1 purchase: one-time buyers',
    ]);
    checkRules(k4.segments, k4.naming.usual_gap_days, 'uci-like k=4');
    const k6 = await fitShop(shop, 6);
    expect(profile(k6.segments)).to.deep.equal([
      'Champions — 23,119 spent | 5 50 23119',
      'Champions — 4,266 spent | 7 14 4266',
      'Promising | 29 1 354',
      'Loyal Customers | 37 13 4113',
      'At Risk | 155 3 922',
      'Hibernating | 223 1 253',
    ]);
    checkRules(k6.segments, k6.naming.usual_gap_days, 'uci-like k=6');
  });

  it('a cohort that stopped buying: nobody is recent; the latest group gets a plain name, not a lapsed one', async () => {
    const shop = stoppedCohortShop();
    expect(shop.rhythm).to.deep.include({ median_gap_days: 18, repeat_customers: 351, span_days: 199 });
    const r = await fitShop(shop, 4);
    expect(profile(r.segments)).to.deep.equal([
      'Inactive high-spending repeat buyers | 368 7 403',
      "Can't Lose Them | 445.5 4 279",
      'Lost | 492 1 42',
      'Hibernating | 502 1 97',
    ]);
    const latest = r.segments.find((s) => s.naming!.rule === 'descriptive')!;
    expect(latest.key).to.equal('cant_lose_them');
    expect(latest.naming!.because.at(-1)).to.equal(
      "no catalogue name fits: Can't Lose Them — it is the segment that bought most recently (368 days ago)",
    );
    checkRules(r.segments, r.naming.usual_gap_days, 'stopped cohort');
  });

  it('a subscription shop (everyone monthly): subscribers are never lapsed, cancelled ones are', async () => {
    const shop = subscriptionShop();
    expect(shop.rhythm.median_gap_days).to.equal(30);
    const r = await fitShop(shop, 4);
    expect(profile(r.segments)).to.deep.equal([
      'Loyal Customers | 15 12 884',
      'Potential Loyalists | 16 12 362',
      'Hibernating | 136.5 8 444',
      'Lost | 252 4 194',
    ]);
    checkRules(r.segments, r.naming.usual_gap_days, 'subscription k=4');
    const k6 = await fitShop(shop, 6);
    expect(profile(k6.segments)).to.deep.equal([
      'Champions | 4 12 954',
      'Potential Loyalists — last purchase 6 days ago, 382 spent | 6 12 382',
      'Potential Loyalists — last purchase 19 days ago, 842 spent | 19 11 842',
      'Potential Loyalists — last purchase 20 days ago, 352 spent | 20 11 352',
      'Hibernating | 145 7 447',
      'Lost | 254 4 194',
    ]);
    checkRules(k6.segments, k6.naming.usual_gap_days, 'subscription k=6');
  });

  it('a shop with a few whales: the 12 whales are a group of Champions, told apart by their spend', async () => {
    const shop = whalesShop();
    const r = await fitShop(shop, 6);
    expect(profile(r.segments)).to.deep.equal([
      'Champions — 2,422,217 spent | 6.5 53 2422217',
      'Champions — 8,393 spent | 7 18 8393',
      'Promising | 30 1 387',
      'Loyal Customers | 40.5 11 3265',
      'At Risk | 153 3 826',
      'Lost | 223 1 225',
    ]);
    expect(r.segments.find((s) => s.size === 12)!.naming).to.deep.include({
      rule: 'region',
      base_name: 'Champions',
      qualifier: '2,422,217 spent',
    });
    checkRules(r.segments, r.naming.usual_gap_days, 'whales k=6');
  });

  it('property: on random shop shapes, names never contradict the rhythm, the purchases or the latest segment', async () => {
    const shape = fc.record({
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      n: fc.integer({ min: 120, max: 400 }),
      once: fc.double({ min: 0, max: 0.95, noNaN: true }),
      gap: fc.integer({ min: 3, max: 120 }),
      span: fc.integer({ min: 60, max: 720 }),
      churn: fc.double({ min: 0, max: 1, noNaN: true }),
      quietDays: fc.integer({ min: 0, max: 500 }),
      spend: fc.integer({ min: 5, max: 2000 }),
      k: fc.integer({ min: 2, max: 7 }),
    });
    await fc.assert(
      fc.asyncProperty(shape, async (p) => {
        const rng = mulberry32(p.seed);
        const buyers = Array.from({ length: p.n }, () => {
          const amount = p.spend * Math.exp(rng() * 2 - 1);
          if (rng() < p.once) return { days: [Math.floor(rng() * p.span)], amount };
          const start = rng() * p.span * 0.8;
          const end = rng() < p.churn ? start + rng() * (p.span - start) : p.span;
          const days = [Math.floor(start)];
          for (let d = start, i = 0; i < 40; i++) {
            d += Math.max(1, -p.gap * Math.log(Math.max(rng(), 1e-9)));
            if (d > end) break;
            days.push(Math.floor(d));
          }
          return { days, amount };
        });
        const shop = shopOf(buyers, { asOf: p.span + 1 + p.quietDays });
        const r = await fitShop(shop, p.k, { nInit: 2, seed: p.seed });
        checkRules(r.segments, r.naming.usual_gap_days, JSON.stringify(p));
      }),
      { numRuns: 100, seed: 1313 },
    );
  });
});

describe('--k auto on generated data with a known number of well-separated groups', function () {
  this.timeout(120_000);
  const rhythm = { median_gap_days: 30, repeat_customers: 100, span_days: 365, basis: 'transactions' as const };
  for (const groups of [3, 5, 7])
    it(`finds ${groups} groups`, async () => {
      const r = await fitShop({ table: separatedGroups(groups), rhythm }, 'auto');
      expect(r.k).to.equal(groups);
      expect(r.sweep!.choice.reason).to.include(`k = ${groups}`);
      expect(r.sweep!.choice.runnerUp).to.not.equal(null);
    });
});

describe('generated shops through the real export reader and train()', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rfm-shapes-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [label, make] of [
    ['a cohort that stopped buying (snapshot 18 months on, --as-of)', stoppedCohortShop],
    ['a subscription shop', subscriptionShop],
  ] as const)
    it(`${label}: the export gives the same table, rhythm and names as the generator`, async () => {
      const shop = make();
      const { csv, asOf } = shopCsv(shop);
      const path = join(dir, `${make.name}.csv`);
      writeFileSync(path, csv);
      const r = await train(
        { exportPath: path },
        { k: 4, asOf, registryPath: join(dir, 'registry.db'), modelName: make.name, actor: 'test', backend: 'wasm' },
      );
      expect(r.data.purchase_rhythm).to.deep.equal(shop.rhythm);
      const direct = await fitShop(shop, 4, { nInit: 10 });
      expect(profile(r.segments)).to.deep.equal(profile(direct.segments));
      expect(r.segments.map((s) => s.naming)).to.deep.equal(direct.segments.map((s) => s.naming));
      checkRules(r.segments, r.naming.usual_gap_days, label);
    });
});

import { expect } from 'chai';
import { chooseK, kneeOf } from './choose-k.js';

// The UCI Online Retail export, k = 3…8 (rfm train --k auto, seed 42): inertia, silhouette, smallest share.
const UCI = [
  { k: 3, inertia: 4856.5, silhouette: 0.337, smallestShare: 0.175 },
  { k: 4, inertia: 3924.9, silhouette: 0.333, smallestShare: 0.164 },
  { k: 5, inertia: 3268.2, silhouette: 0.318, smallestShare: 0.079 },
  { k: 6, inertia: 2840.7, silhouette: 0.314, smallestShare: 0.074 },
  { k: 7, inertia: 2533.1, silhouette: 0.31, smallestShare: 0.053 },
  { k: 8, inertia: 2325.6, silhouette: 0.303, smallestShare: 0.05 },
];
const UCI_TSS = 4338 * 3; // standardized features: the total sum of squares is n × 3

describe('choosing k: knee of inertia, silhouette, smallest segment share', () => {
  it('finds the knee of a curve that bends at k = 4, and none on a straight line', () => {
    const bent = [2, 3, 4, 5, 6, 7, 8].map((k) => ({ k, inertia: k <= 4 ? 100 - 28 * (k - 1) : 16 - 2 * (k - 4) }));
    expect(kneeOf(100, bent)).to.equal(4);
    const line = [2, 3, 4].map((k) => ({ k, inertia: 100 - 25 * (k - 1) }));
    expect(kneeOf(100, line)).to.equal(null);
  });

  it('UCI: silhouette falls steadily with k, so the knee decides: k = 3, runner-up 4', () => {
    const c = chooseK(UCI, UCI_TSS);
    expect(c.k).to.equal(3);
    expect(c.knee).to.equal(3);
    expect(c.reason).to.equal(
      'k = 3 is the knee of the inertia curve (more segments stop paying off), and its smallest segment holds 17.5 %; no other k separates the segments more than 0.05 better by silhouette (0.337 here)',
    );
    expect(c.runnerUp!.k).to.equal(4);
  });

  it('a k whose smallest segment is under 2 % is not eligible; a clearly better silhouette beats the knee', () => {
    const tiny = UCI.map((p) => (p.k === 3 ? { ...p, smallestShare: 0.01 } : p));
    const c = chooseK(tiny, UCI_TSS);
    expect(c.k).to.equal(4);
    expect(c.reason).to.match(/^the knee of the inertia curve is k = 3, but a segment there holds under 2\.0 %; k = 4/);
    const peaked = UCI.map((p) => (p.k === 6 ? { ...p, silhouette: 0.45 } : p));
    const d = chooseK(peaked, UCI_TSS);
    expect(d.k).to.equal(6);
    expect(d.reason).to.include('but k = 6 separates the segments clearly better (silhouette 0.450 against 0.337');
    expect(d.runnerUp!.k).to.equal(3);
  });

  it('when no k passes the share rule, the largest smallest segment wins and the reason says so', () => {
    const c = chooseK(
      UCI.map((p) => ({ ...p, smallestShare: p.k === 5 ? 0.015 : 0.005 })),
      UCI_TSS,
    );
    expect(c.k).to.equal(5);
    expect(c.reason).to.match(
      /^no k gives every segment 2\.0 % of the customers; k = 5 has the largest smallest segment/,
    );
  });
});

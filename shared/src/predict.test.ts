import { expect } from 'chai';
import { fitScaler, inverseTransform, transformRows } from './preprocess.js';
import { nearestCentre, Predictor } from './predict.js';

describe('preprocessing and prediction', () => {
  it('log1p then standardizes with the population std, as StandardScaler does', () => {
    const raw = Float64Array.from([0, 1, 10, 9, 3, 100, 99, 7, 1000]);
    const s = fitScaler(raw);
    // log1p of recency column: 0, ln 10, ln 100 → mean ln(10)·1, population std ln(10)·sqrt(2/3)
    expect(s.mean[0]).to.be.closeTo(Math.log(10), 1e-12);
    expect(s.scale[0]).to.be.closeTo(Math.log(10) * Math.sqrt(2 / 3), 1e-12);
    const z = transformRows(s, raw);
    const col0 = [z[0]!, z[3]!, z[6]!];
    expect(col0.reduce((a, b) => a + b, 0)).to.be.closeTo(0, 1e-12);
    const back = inverseTransform(s, [z[3]!, z[4]!, z[5]!]);
    expect(back.recency).to.be.closeTo(9, 1e-9);
    expect(back.frequency).to.be.closeTo(3, 1e-9);
    expect(back.monetary).to.be.closeTo(100, 1e-9);
  });

  it('a constant column gets scale 1 instead of dividing by zero', () => {
    const s = fitScaler(Float64Array.from([1, 2, 3, 1, 5, 6]));
    expect(s.scale[0]).to.equal(1);
  });

  it('assigns the nearest centroid, ties to the lowest index', () => {
    const c = Float64Array.from([0, 0, 0, 1, 1, 1, -1, -1, -1]);
    expect(nearestCentre(c, 3, 3, [0.9, 0.8, 1.2])).to.equal(1);
    expect(nearestCentre(c, 3, 3, [-0.6, -0.6, -0.6])).to.equal(2);
    expect(nearestCentre(c, 3, 3, [0.5, 0.5, 0.5])).to.equal(0); // equidistant from 0 and 1
  });

  it('Predictor applies the artifact preprocessing before the distance', () => {
    const p = new Predictor({
      k: 2,
      centroids: [
        [-1, 0, 0],
        [1, 0, 0],
      ],
      preprocessing: { transform: 'log1p', mean: [Math.log1p(30), 0, 0], scale: [1, 1, 1] },
    });
    expect(p.predict(5, 0, 0)).to.equal(0); // log1p(5) < log1p(30)
    expect(p.predict(300, 0, 0)).to.equal(1);
  });

  it('Predictor.outlier: further from its centre than the cluster threshold (standardized space), never without one, null without thresholds', () => {
    const base = {
      k: 2,
      centroids: [
        [0, 0, 0],
        [3, 0, 0],
      ] as [number, number, number][],
      preprocessing: { transform: 'log1p' as const, mean: [0, 0, 0], scale: [1, 1, 1] },
    };
    const p = new Predictor({ ...base, outliers: { percentile: 99, distance: [1, null] } });
    // recency r → z = (log1p(r), log1p(0), log1p(0)) = (log1p(r), 0, 0)
    const r = (z: number) => Math.expm1(z);
    expect(p.predict(r(0.9), 0, 0)).to.equal(0);
    expect(p.outlier(r(0.9), 0, 0, 0)).to.equal(false); // 0.9 from centre 0, threshold 1
    expect(p.outlier(r(1.2), 0, 0, 0)).to.equal(true); // 1.2 > 1, still nearest centre 0
    expect(p.outlier(r(1), 0, 0, 0)).to.equal(false); // at the threshold: not further
    expect(p.outlier(r(9), 0, 0, 1)).to.equal(false); // cluster 1 has no threshold: never flagged
    expect(new Predictor(base).outlier(r(9), 0, 0, 1)).to.equal(null); // no thresholds stored
  });
});

import { expect } from 'chai';
import {
  assessDrift,
  binShares,
  clusterShares,
  DEFAULT_DRIFT_THRESHOLDS,
  decileEdges,
  driftThresholdsFromEnv,
  psi,
} from './drift.js';
import { isRfmError } from './errors.js';

const oneToTen = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

describe('drift', () => {
  it('bin edges are the training deciles (numpy interpolation), ties collapsed into one edge', () => {
    // positions p/100 × 9 → 1.9, 2.8, …, 9.1
    const e = decileEdges(oneToTen);
    expect(e).to.have.length(9);
    expect(e.map((x) => Number(x.toFixed(10)))).to.deep.equal([1.9, 2.8, 3.7, 4.6, 5.5, 6.4, 7.3, 8.2, 9.1]);
    // six 1s: the 10–50 % deciles are all 1; 60 % → 1.4, 70 % → 2.3, 80 % → 3.2, 90 % → 4.1
    const tied = decileEdges([5, 1, 1, 4, 1, 1, 3, 1, 2, 1]);
    expect(tied.map((x) => Number(x.toFixed(10)))).to.deep.equal([1, 1.4, 2.3, 3.2, 4.1]);
    expect(binShares([5, 1, 1, 4, 1, 1, 3, 1, 2, 1], tied)).to.deep.equal([0.6, 0, 0.1, 0.1, 0.1, 0.1]);
    expect(decileEdges([])).to.deep.equal([]);
  });

  it('PSI is 0 for the training population itself, even with ties and an empty bin', () => {
    expect(psi(oneToTen, oneToTen)).to.equal(0);
    const tied = [5, 1, 1, 4, 1, 1, 3, 1, 2, 1];
    expect(psi(tied, [...tied].reverse())).to.equal(0);
  });

  it('PSI by hand: 1…10 against 2…11', () => {
    // current shares per bin: [0, .1, .1, .1, .1, .1, .1, .1, .1, .2] against .1 each.
    // bin 0: (1e-4 − 0.1)·ln(1e-4 / 0.1) = 0.0999 × 6.907755 = 0.690085
    // bin 9: (0.2 − 0.1)·ln 2 = 0.069315; the others 0 → 0.759399
    expect(psi(oneToTen, [2, 3, 4, 5, 6, 7, 8, 9, 10, 11])).to.be.closeTo(0.7593995, 1e-6);
    // everything beyond the top decile: (1 − .1)·ln 10 + 9 × (1e-4 − .1)·ln(1e-3) = 2.072327 + 6.210072
    expect(psi(oneToTen, [50, 60, 70])).to.be.closeTo(8.2830894, 1e-6);
    expect(psi([], [1])).to.equal(0);
  });

  it('cluster shares', () => {
    expect(clusterShares(Uint16Array.from([0, 2, 2, 2]), 3)).to.deep.equal([0.25, 0, 0.75]);
  });

  const seg = (cluster: number, trainingShare: number, share: number) => ({
    segment: `S${cluster}`,
    key: 'champions',
    cluster,
    trainingShare,
    share,
  });

  it('no threshold crossed: not advised, no reasons', () => {
    const d = assessDrift({
      trainingCustomers: 100,
      psi: { recency: 0.05, frequency: 0.249, monetary: 0.1 },
      outlierRate: 0.012,
      segments: [seg(0, 0.5, 0.55), seg(1, 0.5, 0.45)],
    });
    expect(d.retrainAdvised).to.equal(false);
    expect(d.reasons).to.deep.equal([]);
    expect(d.thresholds).to.deep.equal({ psi: 0.25, outlierRate: 0.03, shareShift: 0.1 });
    expect(d.expectedOutlierRate).to.equal(0.01);
  });

  it('each crossed threshold is a reason in words, with the figure and the threshold', () => {
    const d = assessDrift({
      trainingCustomers: 100,
      psi: { recency: 0.05, frequency: 0.25, monetary: 0.41 },
      outlierRate: 0.034,
      segments: [seg(0, 0.5, 0.38), seg(1, 0.5, 0.62)],
    });
    expect(d.retrainAdvised).to.equal(true);
    expect(d.reasons).to.deep.equal([
      'frequency PSI 0.25 ≥ 0.25',
      'monetary PSI 0.41 ≥ 0.25',
      'outlier rate 3.4% ≥ 3.0% (about 1% expected)',
      'S0 share 50.0% → 38.0% (−12.0 points) ≥ 10.0 points',
      'S1 share 50.0% → 62.0% (+12.0 points) ≥ 10.0 points',
    ]);
  });

  it('thresholds are configurable; an unknown outlier rate is never a reason', () => {
    const d = assessDrift(
      { trainingCustomers: 1, psi: { recency: 0.2, frequency: 0, monetary: 0 }, outlierRate: null, segments: [] },
      { ...DEFAULT_DRIFT_THRESHOLDS, psi: 0.15 },
    );
    expect(d.reasons).to.deep.equal(['recency PSI 0.20 ≥ 0.15']);
  });

  it('thresholds from the environment are validated, naming the variable', () => {
    expect(driftThresholdsFromEnv({})).to.deep.equal({});
    expect(driftThresholdsFromEnv({ RFM_DRIFT_PSI: '0.3', RFM_DRIFT_SHARE_SHIFT: '0.2' })).to.deep.equal({
      psi: 0.3,
      shareShift: 0.2,
    });
    try {
      driftThresholdsFromEnv({ RFM_DRIFT_OUTLIER_RATE: 'lots' });
      expect.fail('accepted');
    } catch (e) {
      expect(isRfmError(e) && e.code).to.equal('INVALID_INPUT');
      expect((e as Error).message).to.match(/^RFM_DRIFT_OUTLIER_RATE: .*"lots"/);
    }
  });
});

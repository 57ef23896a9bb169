import { expect } from 'chai';
import type { ArtifactV1 } from '@rfm/shared';
import { makeArtifact } from '@rfm/shared/testing';
import { driftThresholds, measureDrift } from './drift.js';
import { scoreTable } from './score-table.js';
import { summarize } from './summary.js';
import type { ScoredExport } from './types.js';

const artifact = makeArtifact() as ArtifactV1;
/** 40 customers spread over the four clusters' regions: raw recency, frequency, monetary */
const raw: number[] = [];
for (let i = 0; i < 40; i++) raw.push(5 + ((i * 37) % 300), 1 + (i % 7), 50 + ((i * 911) % 4000));
const training = { cids: Array.from({ length: 40 }, (_, i) => `c${i}`), raw: Float64Array.from(raw) };

function scored(rows: Float64Array): ScoredExport {
  const customers = scoreTable({ cids: training.cids, raw: rows }, artifact);
  return { facts: {} as ScoredExport['facts'], customers, summary: summarize(customers, artifact.segments) };
}
const DEFAULTS = { psi: 0.25, outlierRate: 0.03, shareShift: 0.1 };

describe('measureDrift (a version and its training customers)', () => {
  it('the training customers themselves: PSI 0 on every feature, the same shares, nothing advised', () => {
    const d = measureDrift(scored(training.raw), { artifact }, training, DEFAULTS)!;
    expect(d.psi).to.deep.equal({ recency: 0, frequency: 0, monetary: 0 });
    for (const s of d.segments) expect(s.share).to.equal(s.trainingShare);
    expect(d.trainingCustomers).to.equal(40);
    expect(d.retrainAdvised).to.equal(false);
  });

  it('every monetary ×5: only monetary moves, and it crosses the threshold', () => {
    const shifted = Float64Array.from(raw.map((v, i) => (i % 3 === 2 ? v * 5 : v)));
    const d = measureDrift(scored(shifted), { artifact }, training, DEFAULTS)!;
    expect(d.psi.recency).to.equal(0);
    expect(d.psi.frequency).to.equal(0);
    expect(d.psi.monetary).to.be.at.least(0.25);
    expect(d.retrainAdvised).to.equal(true);
    expect(d.reasons[0]).to.match(/^monetary PSI \d+\.\d\d ≥ 0\.25$/);
  });

  it('no stored training customers: not measured', () => {
    expect(measureDrift(scored(training.raw), { artifact }, null, DEFAULTS)).to.equal(null);
  });

  it('thresholds: the model policy wins over the environment, which wins over the defaults', () => {
    expect(driftThresholds({}, {})).to.deep.equal(DEFAULTS);
    expect(driftThresholds({}, { RFM_DRIFT_PSI: '0.4', RFM_DRIFT_OUTLIER_RATE: '0.05' })).to.deep.equal({
      psi: 0.4,
      outlierRate: 0.05,
      shareShift: 0.1,
    });
    expect(driftThresholds({ drift_psi: 0.3 }, { RFM_DRIFT_PSI: '0.4' })).to.deep.equal({ ...DEFAULTS, psi: 0.3 });
    expect(() => driftThresholds({}, { RFM_DRIFT_SHARE_SHIFT: '2' })).to.throw(/RFM_DRIFT_SHARE_SHIFT/);
  });
});

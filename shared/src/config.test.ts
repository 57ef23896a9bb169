import { expect } from 'chai';
import { loadConfig } from './config.js';

describe('configuration: how long a run’s upload is kept for retraining', () => {
  it('defaults to 24 hours, takes hours from RFM_RUN_UPLOAD_KEEP_HOURS (0 keeps none)', () => {
    expect(loadConfig({}).runUploadKeepHours).to.equal(24);
    expect(loadConfig({ RFM_RUN_UPLOAD_KEEP_HOURS: '1.5' }).runUploadKeepHours).to.equal(1.5);
    expect(loadConfig({ RFM_RUN_UPLOAD_KEEP_HOURS: '0' }).runUploadKeepHours).to.equal(0);
  });
  it('refuses a negative, too long or non-numeric value, naming the variable', () => {
    for (const [v, why] of [
      ['-1', 'at least 0'],
      ['5000', 'at most 2160'],
      ['a day', 'a number of hours'],
    ])
      expect(() => loadConfig({ RFM_RUN_UPLOAD_KEEP_HOURS: v }), v).to.throw(
        new RegExp(`RFM_RUN_UPLOAD_KEEP_HOURS: .*${why}`),
      );
  });
});

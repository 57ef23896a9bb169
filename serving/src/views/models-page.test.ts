import { expect } from 'chai';
import { makeArtifact } from '@rfm/shared/testing';
import type { RunningServer } from '../server.js';
import { MODEL, registerVersion, startTestServer, tempRegistry, type TempRegistry } from '../test-support/fixtures.js';

describe('version page: why each segment has its name, and why this k', () => {
  let t: TempRegistry;
  let s: RunningServer;
  before(async () => {
    t = tempRegistry();
    const a = makeArtifact();
    a.k_selection = {
      method: 'knee+silhouette+min-share',
      k_min: 3,
      k_max: 8,
      sample: 460,
      knee: 4,
      min_share: 0.02,
      reason: 'k = 4 is the knee of the inertia curve',
      runner_up: { k: 5, reason: 'after the knee (k = 4, chosen), k = 5 is the nearest k' },
    };
    a.sweep = [3, 4, 5].map((k) => ({ k, inertia: 100 / k, silhouette: 0.3, smallest_share: 0.1 }));
    await registerVersion(t.file, a, { promote: true });
    s = await startTestServer(t.file);
  });
  after(async () => {
    await s.close();
    t.cleanup();
  });

  it("shows each segment's reasons from the artifact (escaped), the usual gap, and the k choice with its runner-up", async () => {
    const page = await (await fetch(`${s.url}/models/${MODEL}/1`)).text();
    // makeArtifact: 45-day usual gap; cluster 3 is 71 days, 3.4 purchases, 1,211 spent
    expect(page).to.include(
      'Called Loyal Customers because: last purchase 71 days ago, 1.6× the usual gap of 45 days (recency score 3); 3.4 purchases (frequency score 4); 1,211 spent (spend score 4).',
    );
    expect(page).to.include(
      'Called Promising because: last purchase 14 days ago, 0.3× the usual gap of 45 days (recency score 4); 1.3 purchases (frequency score 1); 411 spent (spend score 2); not Potential Loyalists: the median customer made 1.3 purchases: one-time buyers.',
    );
    expect(page).to.include('usual gap between purchases, 45 days (fixture)');
    expect(page).to.match(/<dt>Why k = 4<\/dt><dd id="k-reason">k = 4 is the knee of the inertia curve<br>/);
    expect(page).to.include('Runner-up k = 5: after the knee (k = 4, chosen), k = 5 is the nearest k');
  });
});

import { expect } from 'chai';
import { Registry } from '@rfm/registry';
import type { RunningServer } from './server.js';
import {
  artifactWithCentroids,
  CENTROIDS_A,
  MODEL,
  startTestServer,
  tempRegistry,
  type TempRegistry,
} from './test-support/fixtures.js';

const BODY = '{"recency":10,"frequency":2,"monetary":300}';
const post = (url: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY }).then(async (r) => {
    await r.text();
    return r;
  });

/**
 * `?version=N` loads a version on the request path (sha256, schema, predictor)
 * and kept only 4; a client cycling through 40 versions made every request a synchronous load.
 * Now loads are rate-limited (8 a second per process, the rest 503 + Retry-After: 1) and the
 * cache holds 16, so the cost an anonymous client can cause is bounded.
 */
describe('pinned versions: cache and load budget', function () {
  this.timeout(60_000);
  let t: TempRegistry;
  let s: RunningServer;
  before(async () => {
    t = tempRegistry();
    const reg = await Registry.open(t.file);
    try {
      for (let i = 0; i < 40; i++)
        await reg.register({ modelName: MODEL, artifact: artifactWithCentroids(CENTROIDS_A, i + 1), actor: 't' });
    } finally {
      await reg.close();
    }
    s = await startTestServer(t.file);
  });
  after(async () => {
    await s.close();
    t.cleanup();
  });

  it('a client cycling 40 versions for 2 s: loads stay within the budget, the rest 503 + Retry-After, active predictions all answered', async () => {
    let loads = 0;
    const counted = () => loads++;
    s.holder.on('pinned-load', counted);
    const until = Date.now() + 2000;
    const t0 = Date.now();
    const statuses = new Map<number, number>();
    let retryAfter: string | null = null;
    let activeOk = 0;
    const cycle = async (offset: number) => {
      for (let i = offset; Date.now() < until; i += 2) {
        const r = await post(`${s.url}/api/v1/predict?version=${2 + (i % 39)}`);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 503) retryAfter = r.headers.get('retry-after');
      }
    };
    const active = async () => {
      while (Date.now() < until) {
        if ((await post(`${s.url}/api/v1/predict`)).status === 200) activeOk++;
        else throw new Error('the active model was not answered');
      }
    };
    await Promise.all([cycle(0), cycle(1), active()]);
    s.holder.off('pinned-load', counted);
    const seconds = (Date.now() - t0) / 1000;
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    // loads, not 200s: versions loaded earlier answer from the cache (16 slots) without a load
    expect(loads, JSON.stringify(Object.fromEntries(statuses))).to.be.at.most(8 + Math.ceil(8 * seconds) + 1);
    expect(loads).to.be.greaterThan(0);
    expect(total - (statuses.get(200) ?? 0), 'refused').to.be.greaterThan(0);
    expect([...statuses.keys()].sort()).to.deep.equal([200, 503]);
    expect(retryAfter).to.equal('1');
    expect(activeOk).to.be.greaterThan(5);
  });

  it('asking again for a cached version costs no load: 200 every time', async () => {
    await new Promise((r) => setTimeout(r, 1200)); // the budget refills
    for (let i = 0; i < 100; i++) expect((await post(`${s.url}/api/v1/predict?version=7`)).status).to.equal(200);
  });
});

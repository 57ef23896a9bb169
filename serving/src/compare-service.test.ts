import { expect } from 'chai';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Registry } from '@rfm/registry';
import type { RunningServer } from './server.js';
import {
  artifactWithCentroids,
  CENTROIDS_A,
  CENTROIDS_B,
  MODEL,
  startTestServer,
  tempRegistry,
  type TempRegistry,
} from './test-support/fixtures.js';

const N = 150_000;

function features(n: number) {
  const raw = new Float64Array(3 * n);
  let s = 7;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  for (let i = 0; i < n; i++) {
    raw[3 * i] = Math.floor(rnd() * 365);
    raw[3 * i + 1] = 1 + Math.floor(rnd() * 30);
    raw[3 * i + 2] = 10 + rnd() * 5000;
  }
  return { cids: Array.from({ length: n }, (_, i) => `c${i}`), raw };
}

/**
 * GET /api/v1/models/:name/compare is anonymous and predicts every stored training
 * customer of two versions. It used to do so on the event loop, so a loop of requests stalled
 * every prediction. Now it runs in a worker thread, is cached per (a, b, registry revision) and
 * bounded. The test measures the main event loop's longest stall while 10 clients hammer it.
 */
describe('compare: off the event loop, cached, bounded', function () {
  this.timeout(120_000);
  let t: TempRegistry;
  let s: RunningServer;
  let oneCompareMs = 0;
  const url = (a: number, b: number) => `${s.url}/api/v1/models/${MODEL}/compare?a=${a}&b=${b}`;

  before(async () => {
    t = tempRegistry();
    const reg = await Registry.open(t.file);
    try {
      const f = features(N);
      await reg.register({ modelName: MODEL, artifact: artifactWithCentroids(CENTROIDS_A), actor: 't', features: f });
      await reg.register({ modelName: MODEL, artifact: artifactWithCentroids(CENTROIDS_B), actor: 't', features: f });
      await reg.register({ modelName: MODEL, artifact: artifactWithCentroids(CENTROIDS_B, 9), actor: 't' });
      const t0 = performance.now();
      await reg.compare(MODEL, 1, 2);
      oneCompareMs = performance.now() - t0; // what one request cost the event loop before
    } finally {
      await reg.close();
    }
    s = await startTestServer(t.file);
  });
  after(async () => {
    await s.close();
    t.cleanup();
  });

  it('10 clients hammering compare: the event loop never stalls for a comparison, predictions are answered', async () => {
    expect(oneCompareMs, 'one comparison must be heavy for this test to mean anything').to.be.greaterThan(60);
    expect((await fetch(url(1, 2))).status).to.equal(200); // starts the worker thread
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const until = Date.now() + 2500;
    // a commit every 400 ms changes the registry revision, so comparisons keep being recomputed
    let relabels = 0;
    const churn = async () => {
      while (Date.now() < until) {
        await new Promise((r) => setTimeout(r, 400));
        const reg = await Registry.open(t.file);
        try {
          await reg.relabel(MODEL, 2, 1, `Churn ${++relabels}`, { actor: 't' });
        } finally {
          await reg.close();
        }
      }
    };
    let compares = 0;
    const hammer = async () => {
      while (Date.now() < until) {
        const r = await fetch(url(1, 2));
        expect(r.status).to.equal(200);
        await r.json();
        compares++;
      }
    };
    let predictions = 0;
    const predict = async () => {
      while (Date.now() < until) {
        const r = await fetch(`${s.url}/api/v1/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"recency":10,"frequency":3,"monetary":500}',
        });
        expect(r.status).to.equal(200);
        await r.text();
        predictions++;
      }
    };
    await Promise.all([...Array.from({ length: 10 }, hammer), predict(), churn()]);
    h.disable();
    const maxStallMs = h.max / 1e6;
    // before: every request blocked the loop for a whole comparison (oneCompareMs, 100+ ms here)
    expect(maxStallMs, `longest event-loop stall; one comparison takes ${oneCompareMs.toFixed(0)} ms`).to.be.lessThan(
      Math.max(oneCompareMs * 0.6, 40),
    );
    expect(compares).to.be.at.least(10);
    expect(relabels).to.be.greaterThan(3);
    expect(predictions).to.be.greaterThan(10);
  });

  it('answers stay correct and follow the registry: a relabel is seen at once (the revision is in the key)', async () => {
    const before = (await (await fetch(url(1, 2))).json()) as { b: { segments: string[] } };
    const reg = await Registry.open(t.file);
    try {
      await reg.relabel(MODEL, 2, 0, 'Renamed In Test', { actor: 't' });
    } finally {
      await reg.close();
    }
    const after = (await (await fetch(url(1, 2))).json()) as { b: { segments: string[] } };
    expect(before.b.segments[0]).not.to.equal('Renamed In Test');
    expect(after.b.segments[0]).to.equal('Renamed In Test');
  });

  it('more distinct comparisons at once than the bound: the rest get 503 with Retry-After; unknown versions 404', async () => {
    const pairs: [number, number][] = [
      [2, 1],
      [1, 1],
      [2, 2],
      [3, 2],
      [1, 2],
      [2, 3],
    ];
    // a new revision, so nothing is cached
    const reg = await Registry.open(t.file);
    try {
      await reg.relabel(MODEL, 2, 0, 'Renamed Again', { actor: 't' });
    } finally {
      await reg.close();
    }
    const rs = await Promise.all(pairs.map(([a, b]) => fetch(url(a, b))));
    const statuses = rs.map((r) => r.status);
    expect(statuses.filter((x) => x === 200).length).to.be.within(4, 5);
    const busy = rs.filter((r) => r.status === 503);
    expect(busy.length).to.be.greaterThan(0);
    for (const r of busy) expect(r.headers.get('retry-after')).to.equal('5');
    expect((await fetch(url(1, 99))).status).to.equal(404);
  });
});

import { expect } from 'chai';
import type { RunningServer } from './server.js';
import {
  artifactWithCentroids,
  CENTROIDS_A,
  registerVersion,
  startTestServer,
  tempRegistry,
  waitFor,
  type TempRegistry,
} from './test-support/fixtures.js';

describe('health, readiness, model info and plumbing', () => {
  let t: TempRegistry;
  let s: RunningServer;
  before(async () => {
    t = tempRegistry();
    s = await startTestServer(t.file, { pollMs: 50 });
  });
  after(async () => {
    await s.close();
    t.cleanup();
  });

  it('with an empty registry: /healthz 200, /readyz 503 with a reason, predict and model 503', async () => {
    expect((await fetch(`${s.url}/healthz`)).status).to.equal(200);
    const ready = await fetch(`${s.url}/readyz`);
    expect(ready.status).to.equal(503);
    const body = (await ready.json()) as any;
    expect(body.ready).to.equal(false);
    expect(body.reason).to.match(/production.*no version/);
    const p = await fetch(`${s.url}/api/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"recency":1,"frequency":1,"monetary":1}',
    });
    expect(p.status).to.equal(503);
    expect(((await p.json()) as any).error.code).to.equal('MODEL_UNAVAILABLE');
    const m = await fetch(`${s.url}/api/v1/model`);
    expect(m.status).to.equal(503);
  });

  it('becomes ready once a first version is registered, without a restart', async () => {
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A));
    const { value } = await waitFor(async () => {
      const r = await fetch(`${s.url}/readyz`);
      return r.status === 200 ? ((await r.json()) as any) : null;
    }, 2000);
    expect(value).to.deep.equal({
      ready: true,
      model_name: 'customer-segments',
      model_version: 1,
      last_load_error: null,
      registry: { reachable: true, following: 'poll' },
    });
  });

  it('GET /api/v1/model describes the active model: segments, metrics, data, load time', async () => {
    const r = await fetch(`${s.url}/api/v1/model`);
    expect(r.status).to.equal(200);
    expect(r.headers.get('x-model-version')).to.equal('1');
    const m = (await r.json()) as any;
    expect(m).to.include({
      model_name: 'customer-segments',
      model_version: 1,
      k: 4,
      active: true,
      last_load_error: null,
    });
    expect(m.segments).to.have.length(4);
    expect(m.segments[0]).to.have.all.keys(
      'cluster',
      'key',
      'name',
      'description',
      'action',
      'size',
      'scores',
      'centroid',
      'mean',
    );
    expect(m.segments.map((x: any) => x.cluster)).to.deep.equal([0, 1, 2, 3]);
    expect(m.metrics).to.have.property('silhouette');
    expect(m.data).to.have.property('customers');
    expect(Date.parse(m.loaded_at)).to.be.closeTo(Date.now(), 60_000);
    expect((await fetch(`${s.url}/api/v1/model?version=1`)).status).to.equal(200);
    expect((await fetch(`${s.url}/api/v1/model?version=7`)).status).to.equal(404);
  });

  it('echoes a sane x-request-id, replaces an unsafe one', async () => {
    const a = await fetch(`${s.url}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(a.headers.get('x-request-id')).to.equal('abc-123');
    const b = await fetch(`${s.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(b.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
  });

  it('unknown routes: JSON 404 for machines, an HTML page for browsers; no x-powered-by', async () => {
    const j = await fetch(`${s.url}/nope`);
    expect(j.status).to.equal(404);
    expect(await j.json()).to.deep.equal({ error: { code: 'NOT_FOUND', message: 'no route GET /nope' } });
    expect(j.headers.get('x-powered-by')).to.equal(null);
    const h = await fetch(`${s.url}/nope`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(h.status).to.equal(404);
    expect(await h.text()).to.match(/<html lang="en">[\s\S]*Page not found/);
    const api = await fetch(`${s.url}/api/v1/nope`, { headers: { accept: 'text/html' } });
    expect(api.headers.get('content-type')).to.match(/json/);
    expect((await fetch(`${s.url}/api/v1/predict`)).status).to.equal(404); // GET on a POST route
  });
});

import { expect } from 'chai';
import express from 'express';
import type { RunningServer } from '../server.js';
import {
  artifactWithCentroids,
  CENTROIDS_A,
  postJson,
  registerVersion,
  startTestServer,
  tempRegistry,
  type TempRegistry,
} from '../test-support/fixtures.js';
import { errorHandler } from './errors.js';
import { silentLogger } from '../logger.js';

describe('security basics', function () {
  this.timeout(30_000);
  let t: TempRegistry;
  let s: RunningServer;
  let withCors: RunningServer;
  before(async () => {
    t = tempRegistry();
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A));
    s = await startTestServer(t.file);
    withCors = await startTestServer(t.file, { corsOrigins: 'https://crm.example.com, http://localhost:3000' });
  });
  after(async () => {
    await s.close();
    await withCors.close();
    t.cleanup();
  });

  it('helmet headers on every answer: CSP without inline code, no framing, nosniff, no referrer', async () => {
    for (const path of ['/', '/api/v1/model', '/no/such']) {
      const r = await fetch(`${s.url}${path}`);
      const csp = r.headers.get('content-security-policy') ?? '';
      expect(csp)
        .to.include("default-src 'none'")
        .and.include("script-src 'self'")
        .and.include("style-src 'self'")
        .and.include("frame-ancestors 'none'");
      expect(csp).to.not.include('unsafe-inline');
      expect(r.headers.get('x-frame-options')).to.equal('DENY');
      expect(r.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(r.headers.get('referrer-policy')).to.equal('no-referrer');
      expect(r.headers.get('cross-origin-opener-policy')).to.equal('same-origin');
      expect(r.headers.get('x-powered-by')).to.equal(null);
    }
  });

  it('CORS is off by default: no allow-origin header, even for a preflight', async () => {
    const r = await fetch(`${s.url}/api/v1/predict`, {
      method: 'OPTIONS',
      headers: { origin: 'https://crm.example.com', 'access-control-request-method': 'POST' },
    });
    expect(r.headers.get('access-control-allow-origin')).to.equal(null);
    const p = await postJson(
      `${s.url}/api/v1/predict`,
      { recency: 1, frequency: 1, monetary: 1 },
      { origin: 'https://crm.example.com' },
    );
    expect(p.headers.get('access-control-allow-origin')).to.equal(null);
  });

  it('with RFM_CORS_ORIGINS: listed origins are allowed on /api and can read the version header; others are not', async () => {
    const pre = await fetch(`${withCors.url}/api/v1/predict`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://crm.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(pre.status).to.equal(204);
    expect(pre.headers.get('access-control-allow-origin')).to.equal('https://crm.example.com');
    const p = await postJson(
      `${withCors.url}/api/v1/predict`,
      { recency: 1, frequency: 1, monetary: 1 },
      { origin: 'http://localhost:3000' },
    );
    expect(p.headers.get('access-control-allow-origin')).to.equal('http://localhost:3000');
    expect(p.headers.get('access-control-expose-headers')).to.include('x-model-version');
    const other = await postJson(
      `${withCors.url}/api/v1/predict`,
      { recency: 1, frequency: 1, monetary: 1 },
      { origin: 'https://evil.example' },
    );
    expect(other.headers.get('access-control-allow-origin')).to.equal(null);
  });

  it('no stack trace or internal message ever reaches a client', async () => {
    const app = express();
    app.get('/boom', () => {
      throw new Error('secret path /var/lib/rfm/registry.db exploded');
    });
    app.use(errorHandler(silentLogger()));
    const srv = app.listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    try {
      const r = await fetch(`http://127.0.0.1:${(srv.address() as { port: number }).port}/boom`);
      expect(r.status).to.equal(500);
      const text = await r.text();
      expect(JSON.parse(text)).to.deep.equal({ error: { code: 'INTERNAL', message: 'internal error' } });
      expect(text).to.not.match(/secret|at |\.ts:/);
    } finally {
      srv.close();
    }
  });

  it('admin writes need the bearer token', async () => {
    const r = await postJson(`${s.url}/api/v1/models/customer-segments/versions/1/promote`, { reason: 'x' });
    expect(r.status).to.equal(403); // no token configured: admin writes disabled
    expect(r.json.error.code).to.equal('FORBIDDEN');
  });
});

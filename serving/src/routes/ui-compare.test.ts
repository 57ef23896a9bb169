import { expect } from 'chai';
import { Registry, type VersionComparison } from '@rfm/registry';
import type { RunningServer } from '../server.js';
import {
  artifactWithCentroids,
  CENTROIDS_A,
  CENTROIDS_B,
  adminSignIn,
  MODEL,
  startTestServer,
  tempRegistry,
  type TempRegistry,
} from '../test-support/fixtures.js';

/** 600 customers spread over recency, frequency and monetary (deterministic). */
function features(n: number) {
  const raw = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    raw[3 * i] = (i * 37) % 365;
    raw[3 * i + 1] = 1 + ((i * 7) % 25);
    raw[3 * i + 2] = 10 + ((i * 911) % 4000);
  }
  return { cids: Array.from({ length: n }, (_, i) => `c${i}`), raw };
}

/**
 * The compare page (/models/<name>/compare?a=&b=): public like the version pages, the same numbers
 * as `rfm models compare` (Registry.compare), a Sankey of the flows as SVG, and bad a/b answered
 * with a message on the page and 400/404, never a 500.
 */
const TOKEN = 'compare-page-admin-token-0123456789-abcdef';

describe('compare page', function () {
  this.timeout(60_000);
  let t: TempRegistry;
  let s: RunningServer;
  let expected: VersionComparison;
  let production: number | null = null;
  const get = (path: string) => fetch(`${s.url}${path}`, { headers: { accept: 'text/html' } });

  before(async () => {
    t = tempRegistry();
    const reg = await Registry.open(t.file);
    try {
      const f = features(600);
      await reg.register({ modelName: MODEL, artifact: artifactWithCentroids(CENTROIDS_A), actor: 't', features: f });
      await reg.register({ modelName: MODEL, artifact: artifactWithCentroids(CENTROIDS_B), actor: 't', features: f });
      if ((await reg.resolveAlias(MODEL, 'production')) === null)
        await reg.promote(MODEL, 1, { actor: 't', reason: 'first', force: true });
      production = await reg.resolveAlias(MODEL, 'production');
      expected = await reg.compare(MODEL, 1, 2);
    } finally {
      await reg.close();
    }
    s = await startTestServer(t.file, { adminToken: TOKEN });
  });
  after(async () => {
    await s.close();
    t.cleanup();
  });

  it('shows the metrics, how many customers would change segment and every flow, as Registry.compare', async () => {
    const r = await get(`/models/${MODEL}/compare?a=1&b=2`);
    expect(r.status).to.equal(200);
    const body = await r.text();
    const x = expected.assignments!;
    expect(x.changed_segment).to.be.greaterThan(0);
    expect(body).to.include(`<span id="changed-count">${x.changed_segment.toLocaleString('en-US')}</span>`);
    expect(body).to.include(`${(100 * x.changed_share).toFixed(1)}%`);
    expect(body).to.include(`<span id="ari">${x.ari.toFixed(4)}</span>`);
    expect(body).to.include(expected.a.metrics.inertia.toFixed(2)).and.include(expected.b.metrics.inertia.toFixed(2));
    const rows = [
      ...body.matchAll(/<tr data-from="([^"]+)" data-to="([^"]+)">[\s\S]*?data-label="Customers">([\d,]+)</g),
    ];
    expect(rows.map((m) => [m[1], m[2], Number(m[3]!.replace(/,/g, ''))])).to.deep.equal(
      x.transitions.map((tr) => [tr.from, tr.to, tr.customers]),
    );
    expect(body).to.include(`src="/models/${MODEL}/compare/flows.svg?a=1&amp;b=2"`);
  });

  it('draws the flows as one SVG (Sankey) with both versions named', async () => {
    const r = await get(`/models/${MODEL}/compare/flows.svg?a=1&b=2`);
    expect(r.status).to.equal(200);
    expect(r.headers.get('content-type')).to.match(/^image\/svg\+xml/);
    const svg = await r.text();
    expect(svg)
      .to.match(/^<svg /)
      .and.include('>v1<')
      .and.include('>v2<');
    expect(svg).to.not.match(/<script/i);
  });

  it('bad a/b: a message on the page with 400 or 404, the version choice still offered', async () => {
    for (const [q, status, text] of [
      ['?a=1', 400, 'b is missing'],
      ['?a=x&b=2', 400, 'a must be a version number such as 3, not &quot;x&quot;'],
      ['?a=1&b=9', 404, 'has no version 9'],
    ] as const) {
      const r = await get(`/models/${MODEL}/compare${q}`);
      const body = await r.text();
      expect(r.status, q).to.equal(status);
      expect(body, q).to.include(text).and.include('id="compare-form"');
    }
    expect((await get('/models/no-such-model/compare?a=1&b=2')).status).to.equal(404);
  });

  it('every version page links to a comparison; signed in, the promote form links to what promoting changes', async () => {
    const body = await (await get(`/models/${MODEL}/2`)).text();
    expect(body).to.match(/<a href="\/models\/customer-segments\/compare\?a=1&amp;b=2" id="compare-link">/);
    expect(body, 'no admin form for a visitor').to.not.include('id="promote-compare"');
    const cookie = await adminSignIn(s.url, TOKEN, 'Ada');
    const admin = await (
      await fetch(`${s.url}/models/${MODEL}/2`, { headers: { accept: 'text/html', cookie } })
    ).text();
    expect(production, 'v1 in production').to.equal(1);
    expect(admin).to.include(`<a href="/models/${MODEL}/compare?a=1&amp;b=2" id="promote-compare">`);
    // the compare page offers the way to promote (its version page's policy-checked form) to a signed-in admin only
    const page = await (
      await fetch(`${s.url}/models/${MODEL}/compare?a=1&b=2`, { headers: { accept: 'text/html', cookie } })
    ).text();
    expect(page).to.include(`href="/models/${MODEL}/2#promote-form" id="go-promote"`);
  });
});

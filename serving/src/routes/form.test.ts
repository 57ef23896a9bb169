import { expect } from 'chai';
import { LIMITS, Predictor } from '@rfm/shared';
import type { RunningServer } from '../server.js';
import {
  artifactWithCentroids,
  CENTROIDS_A,
  registerVersion,
  startTestServer,
  tempRegistry,
  type TempRegistry,
} from '../test-support/fixtures.js';

/** The value attribute of the input with this id (as the browser would show it, entities decoded). */
function inputValue(page: string, id: string): string | undefined {
  const tag = new RegExp(`<input[^>]*\\bid="${id}"[^>]*>`, 's').exec(page)?.[0];
  const v = tag && /\bvalue="([^"]*)"/.exec(tag)?.[1];
  return v
    ?.replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function textOf(page: string, id: string): string | undefined {
  return new RegExp(`id="${id}"[^>]*>(.*?)</`, 's').exec(page)?.[1];
}

async function postForm(
  url: string,
  fields: Record<string, string>,
): Promise<{ status: number; page: string; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, page: await res.text(), headers: res.headers };
}

describe('web form (GET / and POST /)', () => {
  let t: TempRegistry;
  let s: RunningServer;
  const artifact = artifactWithCentroids(CENTROIDS_A);
  before(async () => {
    t = tempRegistry();
    await registerVersion(t.file, artifact);
    s = await startTestServer(t.file);
  });
  after(async () => {
    await s.close();
    t.cleanup();
  });

  it('GET / is an English HTML page with a labelled input per field, units and limits, and no external assets', async () => {
    const res = await fetch(`${s.url}/`, { headers: { accept: 'text/html' } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/html/);
    const page = await res.text();
    expect(page).to.match(/^<!doctype html>\s*<html lang="en">/);
    expect(page).to.include('<meta name="viewport"');
    for (const id of ['cid', 'recency', 'monetary', 'frequency']) {
      expect(page, id).to.match(new RegExp(`<label for="${id}">`));
      expect(page, id).to.match(new RegExp(`<input id="${id}" name="${id}"`));
    }
    expect(page.indexOf('id="recency"')).to.be.lessThan(page.indexOf('id="monetary"'));
    expect(page.indexOf('id="monetary"')).to.be.lessThan(page.indexOf('id="frequency"'));
    expect(textOf(page, 'recency-hint')).to.include(LIMITS.recency.max.toLocaleString('en-US'));
    expect(page).to.include('(days)');
    expect(page).to.include('customer-segments v1');
    expect(page).to.not.match(/https?:\/\/(?!127)/); // nothing from another host
    // one stylesheet and one script, both served by rfm under /assets/; nothing inline
    expect(page.match(/<script[^>]*>/g)).to.deep.equal([
      page.match(/<script src="\/assets\/rfm\.js\?v=[0-9a-f]{12}" defer>/)![0],
    ]);
    expect(page).to.match(/<link rel="stylesheet" href="\/assets\/rfm\.css\?v=[0-9a-f]{12}">/);
    expect(page).to.not.match(/<style|\sstyle="/);
    expect(res.headers.get('content-security-policy'))
      .to.match(/script-src 'self'/)
      .and.match(/style-src 'self'/);
  });

  it('POST / shows the segment, description, action and model, and keeps the typed values', async () => {
    const r = await postForm(`${s.url}/`, { cid: 'C-77', recency: '12', monetary: '830.50', frequency: '4' });
    expect(r.status).to.equal(200);
    const cluster = new Predictor(artifact).predict(12, 4, 830.5);
    const seg = artifact.segments.find((x) => x.cluster === cluster)!;
    expect(textOf(r.page, 'segment-name')).to.equal(seg.name.replace(/'/g, '&#39;'));
    expect(textOf(r.page, 'segment-description')).to.equal(seg.description);
    expect(r.page).to.include(seg.action.replace(/'/g, '&#39;'));
    expect(textOf(r.page, 'result-model')).to.equal('customer-segments v1');
    expect(textOf(r.page, 'result-cluster')).to.equal(String(cluster));
    expect(r.headers.get('x-model-version')).to.equal('1');
    expect([
      inputValue(r.page, 'cid'),
      inputValue(r.page, 'recency'),
      inputValue(r.page, 'monetary'),
      inputValue(r.page, 'frequency'),
    ]).to.deep.equal(['C-77', '12', '830.50', '4']);
  });

  it('invalid input → 400, the message sits next to the offending field, all values kept', async () => {
    const r = await postForm(`${s.url}/`, { cid: '', recency: '-5', monetary: 'lots', frequency: '3' });
    expect(r.status).to.equal(400);
    expect(textOf(r.page, 'recency-error')).to.match(/recency must be at least 0/);
    expect(textOf(r.page, 'monetary-error')).to.match(/monetary must be a number/);
    expect(r.page).to.not.include('id="frequency-error"');
    expect(r.page).to.not.include('id="result"');
    expect(r.page).to.match(
      /<input id="recency"[^>]*aria-describedby="recency-hint recency-error"[^>]*aria-invalid="true"/s,
    );
    expect([
      inputValue(r.page, 'recency'),
      inputValue(r.page, 'monetary'),
      inputValue(r.page, 'frequency'),
    ]).to.deep.equal(['-5', 'lots', '3']);
  });

  it('escapes what was typed (no markup injection)', async () => {
    const evil = '"><script>alert(1)</script>';
    const r = await postForm(`${s.url}/`, { cid: evil, recency: evil, monetary: '1', frequency: '1' });
    expect(r.status).to.equal(400);
    expect(r.page).to.not.include('<script>');
    expect(inputValue(r.page, 'cid')).to.equal(evil);
  });

  it('a form posted as JSON → 415 page; an unknown field → 400 with a form-level message', async () => {
    const json = await fetch(`${s.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/html' },
      body: '{}',
    });
    expect(json.status).to.equal(415);
    expect(await json.text()).to.match(/x-www-form-urlencoded/);
    const extra = await postForm(`${s.url}/`, { recency: '1', monetary: '1', frequency: '1', coupon: 'x' });
    expect(extra.status).to.equal(400);
    expect(textOf(extra.page, 'form-error')).to.match(/unknown field.*coupon/);
  });
});

describe('web form without any model', () => {
  let t: TempRegistry;
  let s: RunningServer;
  before(async () => {
    t = tempRegistry();
    s = await startTestServer(t.file);
  });
  after(async () => {
    await s.close();
    t.cleanup();
  });

  it('GET and POST say no model is active, with 503', async () => {
    const get = await fetch(`${s.url}/`);
    expect(get.status).to.equal(503);
    expect(textOf(await get.text(), 'no-model')?.replace(/\s+/g, ' ')).to.match(/No model is active/); // as shown
    const post = await postForm(`${s.url}/`, { recency: '1', monetary: '1', frequency: '1' });
    expect(post.status).to.equal(503);
    expect(post.page.replace(/\s+/g, ' ')).to.include('No model is active');
    expect(inputValue(post.page, 'recency')).to.equal('1');
  });
});

describe('web form: a customer far from their segment', () => {
  let t: TempRegistry;
  let s: RunningServer;
  const artifact = {
    ...artifactWithCentroids(CENTROIDS_A),
    outliers: { percentile: 99, distance: [0.8, 0.8, 0.8, 0.8] },
  };
  const p = new Predictor(artifact);
  const flag = (r: number, f: number, m: number) => p.outlier(r, f, m, p.predict(r, f, m));
  before(async () => {
    t = tempRegistry();
    await registerVersion(t.file, artifact);
    s = await startTestServer(t.file);
  });
  after(async () => {
    await s.close();
    t.cleanup();
  });

  it('says the name may not fit an outlier, and says nothing for a customer near the centre', async () => {
    // one customer of each kind, found by the model's own rule
    const grid = [1, 3, 10, 30, 100, 300].flatMap((r) =>
      [1, 2, 5, 20].flatMap((f) => [20, 300, 3000, 80_000].map((m) => [r, f, m])),
    );
    const far = grid.find(([r, f, m]) => flag(r!, f!, m!) === true)!;
    const near = grid.find(([r, f, m]) => flag(r!, f!, m!) === false)!;
    expect(far, 'a customer the rule flags').to.not.equal(undefined);
    expect(near, 'a customer the rule does not flag').to.not.equal(undefined);
    const post = ([r, f, m]: number[]) =>
      postForm(`${s.url}/`, { cid: '', recency: String(r), frequency: String(f), monetary: String(m) });
    const flagged = await post(far);
    expect(flagged.status).to.equal(200);
    expect(flagged.page).to.match(/id="segment-outlier"[^>]*><p><strong>Unusual for this segment\.<\/strong>/);
    expect(flagged.page).to.include('than 99% of the customers it was trained on');
    const plain = await post(near);
    expect(plain.status).to.equal(200);
    expect(plain.page).to.not.include('segment-outlier');
  });
});

import { expect } from 'chai';
import { request } from 'node:http';
import { connect } from 'node:net';
import { MAX_BATCH, Predictor, PredictResponseSchema } from '@rfm/shared';
import type { RunningServer } from '../server.js';
import {
  artifactWithCentroids,
  CENTROIDS_A,
  CENTROIDS_B,
  corruptArtifact,
  postJson,
  registerVersion,
  startTestServer,
  tempRegistry,
  type TempRegistry,
} from '../test-support/fixtures.js';

describe('POST /api/v1/predict', () => {
  let t: TempRegistry;
  let s: RunningServer;
  // with outlier thresholds (one cluster without: nobody there is flagged), so the flag varies
  const artifact = {
    ...artifactWithCentroids(CENTROIDS_A),
    outliers: { percentile: 99, distance: [0.8, 0.8, null, 0.8] },
  };
  const predictor = new Predictor(artifact);
  const outlierOf = (r: number, f: number, m: number) => predictor.outlier(r, f, m, predictor.predict(r, f, m));
  const segmentOf = (r: number, f: number, m: number) =>
    artifact.segments.find((x) => x.cluster === predictor.predict(r, f, m))!.name;
  let url: string;

  before(async () => {
    t = tempRegistry();
    await registerVersion(t.file, artifact);
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_B));
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_B, 9));
    corruptArtifact(t.file, 3);
    s = await startTestServer(t.file);
    url = `${s.url}/api/v1/predict`;
  });
  after(async () => {
    await s.close();
    t.cleanup();
  });

  it('scores one customer (lowercase names) exactly as Predictor does on the artifact, with x-model-version', async () => {
    const r = await postJson(url, { cid: 'c-1', recency: 12, frequency: 4, monetary: 830.5 });
    expect(r.status).to.equal(200);
    expect(r.headers.get('x-model-version')).to.equal('1');
    expect(r.headers.get('content-type')).to.match(/^application\/json/);
    expect(PredictResponseSchema.parse(r.json)).to.deep.equal({
      model_name: 'customer-segments',
      model_version: 1,
      predictions: [
        {
          cid: 'c-1',
          cluster: predictor.predict(12, 4, 830.5),
          segment: segmentOf(12, 4, 830.5),
          outlier: outlierOf(12, 4, 830.5),
        },
      ],
    });
  });

  it('accepts the capitalised field names (CID, Recency, Monetary, Frequency) and numeric strings', async () => {
    const r = await postJson(url, { CID: 12346, Recency: '325', Monetary: 77183.6, Frequency: 1 });
    expect(r.status).to.equal(200);
    expect(r.json.predictions).to.deep.equal([
      {
        cid: '12346',
        cluster: predictor.predict(325, 1, 77183.6),
        segment: segmentOf(325, 1, 77183.6),
        outlier: outlierOf(325, 1, 77183.6),
      },
    ]);
  });

  it('scores a batch in order, and the answers match Predictor for every customer', async () => {
    const instances = Array.from({ length: 500 }, (_, i) => ({
      cid: `c${i}`,
      recency: (i * 7) % 400,
      frequency: 1 + (i % 30),
      monetary: 10 + ((i * 97) % 9000),
    }));
    const r = await postJson(url, { instances });
    expect(r.status).to.equal(200);
    const body = PredictResponseSchema.parse(r.json);
    expect(body.predictions).to.have.length(500);
    body.predictions.forEach((p, i) => {
      const c = instances[i]!;
      expect(p).to.deep.equal({
        cid: c.cid,
        cluster: predictor.predict(c.recency, c.frequency, c.monetary),
        segment: segmentOf(c.recency, c.frequency, c.monetary),
        outlier: outlierOf(c.recency, c.frequency, c.monetary),
      });
    });
    // the flag varies: customers near their centre are not outliers, far ones are, and the
    // cluster without a threshold has none
    const flags = body.predictions.map((p) => p.outlier);
    expect(flags.filter((f) => f === true).length).to.be.within(1, 499);
    expect(body.predictions.filter((p) => p.cluster === 2).every((p) => p.outlier === false)).to.equal(true);
  });

  it(`accepts a batch of exactly ${MAX_BATCH}`, async () => {
    const r = await postJson(url, {
      instances: Array.from({ length: MAX_BATCH }, () => ({ recency: 3, frequency: 2, monetary: 50 })),
    });
    expect(r.status).to.equal(200);
    expect(r.json.predictions).to.have.length(MAX_BATCH);
    expect(r.json.predictions[0].cid).to.equal(null);
  });

  describe('bad input is a 4xx naming the problem, never a 500', () => {
    const cases: [string, unknown, string, RegExp][] = [
      ['missing field', { recency: 3, frequency: 2 }, 'monetary', /monetary/],
      ['a word for a number', { recency: 'ten', frequency: 2, monetary: 5 }, 'recency', /recency must be a number/],
      ['negative', { recency: -1, frequency: 2, monetary: 5 }, 'recency', /at least 0/],
      ['"NaN"', { recency: 'NaN', frequency: 2, monetary: 5 }, 'recency', /must be a number/],
      ['"Infinity"', { recency: 3, frequency: 2, monetary: 'Infinity' }, 'monetary', /must be a number/],
      ['fractional frequency', { recency: 3, frequency: 2.5, monetary: 5 }, 'frequency', /whole number/],
      ['above the limit', { recency: 3, frequency: 2, monetary: 1e13 }, 'monetary', /at most/],
      ['null', { recency: null, frequency: 2, monetary: 5 }, 'recency', /number/],
      ['unknown field', { recency: 3, frequency: 2, monetary: 5, age: 40 }, '(root)', /unknown field.*age/],
      ['an array', [1, 2, 3], '(root)', /expected an object/],
      [
        'bad batch member',
        {
          instances: [
            { recency: 1, frequency: 1, monetary: 1 },
            { recency: 1, frequency: 1, monetary: 1 },
            { recency: 1, frequency: 1, monetary: 1 },
            { recency: 1, frequency: 0, monetary: 1 },
          ],
        },
        'instances.3.frequency',
        /at least 1/,
      ],
      ['empty batch', { instances: [] }, 'instances', /at least one/],
      ['instances not an array', { instances: 'all' }, 'instances', /array/],
    ];
    for (const [what, body, path, message] of cases) {
      it(`${what} → 400 INVALID_INPUT at ${path}`, async () => {
        const r = await postJson(url, body);
        expect(r.status, JSON.stringify(r.json)).to.equal(400);
        expect(r.json.error.code).to.equal('INVALID_INPUT');
        const issue = r.json.error.issues.find((i: { path: string }) => i.path === path);
        expect(issue, JSON.stringify(r.json.error.issues)).to.not.equal(undefined);
        expect(issue.message).to.match(message);
        expect(r.json.error.message).to.include(path);
        expect(JSON.stringify(r.json)).to.not.match(/\bat .*\.ts:\d+/); // no stack
      });
    }

    it(`a batch of ${MAX_BATCH + 1} → 400 naming instances and the limit`, async () => {
      const r = await postJson(url, {
        instances: Array.from({ length: MAX_BATCH + 1 }, () => ({ recency: 3, frequency: 2, monetary: 50 })),
      });
      expect(r.status).to.equal(400);
      expect(r.json.error.issues[0]).to.include({ path: 'instances' });
      expect(r.json.error.message).to.match(/at most 10000/);
    });

    it('invalid JSON → 400 saying so', async () => {
      const r = await postJson(url, '{"recency": 3, "frequency": ');
      expect(r.status).to.equal(400);
      expect(r.json.error.code).to.equal('INVALID_INPUT');
      expect(r.json.error.message).to.match(/^body is not valid JSON: /);
    });

    it('a number too big for a double (1e400 parses to Infinity) → 400, not a 500', async () => {
      const r = await postJson(url, '{"recency": 1e400, "frequency": 1, "monetary": 1}');
      expect(r.status).to.equal(400);
      expect(r.json.error.issues[0]).to.include({ path: 'recency' });
    });

    it('JSON in a charset other than UTF-8 → 415', async () => {
      const r = await postJson(url, '{"recency": 1, "frequency": 1, "monetary": 1}', {
        'content-type': 'application/json; charset=latin1',
      });
      expect(r.status).to.equal(415);
      expect(r.json.error.code).to.equal('UNSUPPORTED');
    });

    it('odd payloads are all 4xx with a JSON error, never a 500', async () => {
      const odd = [
        '{"__proto__": {"recency": 1, "frequency": 1, "monetary": 1}}',
        '{"constructor": {"prototype": {"x": 1}}, "recency": 1, "frequency": 1, "monetary": 1}',
        `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
        '{"instances": [null, 1, "x", []]}',
        '{"instances": {"0": {"recency": 1}}}',
        '{"recency": {"$gt": 0}, "frequency": [1], "monetary": true}',
        '{"cid": {"a": 1}, "recency": 1, "frequency": 1, "monetary": 1}',
        '"just a string"',
        'null',
        '{"recency": "１２", "frequency": 1, "monetary": 1}',
        '{"recency": "0x10", "frequency": 1, "monetary": 1}',
        '{"recency": 1, "frequency": 1e308, "monetary": -0}',
      ];
      for (const body of odd) {
        const r = await postJson(url, body);
        expect(r.status, body.slice(0, 60)).to.be.within(400, 499);
        expect(r.json.error.code, body.slice(0, 60)).to.be.a('string');
      }
    });

    it('wrong content type → 415, empty body → 400', async () => {
      const form = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'recency=3' });
      expect(form.status).to.equal(415);
      expect(((await form.json()) as any).error).to.include({ code: 'UNSUPPORTED' });
      const empty = await fetch(url, { method: 'POST' });
      expect(empty.status).to.equal(400);
      expect(((await empty.json()) as any).error.message).to.match(/body is empty/);
    });

    it('a body over 2 MB → 413 with a clear message', async () => {
      const big = JSON.stringify({
        instances: [{ cid: 'x'.repeat(3 * 1024 * 1024), recency: 1, frequency: 1, monetary: 1 }],
      });
      const r = await postJson(url, big);
      expect(r.status).to.equal(413);
      expect(r.json.error.code).to.equal('PAYLOAD_TOO_LARGE');
      expect(r.json.error.message).to.match(/larger than 2 MB/);
    });

    // A body shorter than its Content-Length, then the client half-closes. The raw answer is read
    // to the end: no answer at all, or a 5xx, fails (the old version turned every outcome,
    // a 500 included, into "status 0" and passed).
    for (const via of ['fast path', 'express route'] as const)
      it(`a truncated upload gets a 4xx answer, not a 500 or silence (${via})`, async () => {
        const u = new URL(url);
        const raw = await new Promise<string>((resolve, reject) => {
          const sock = connect(Number(u.port), u.hostname);
          let got = '';
          sock.setEncoding('latin1');
          sock.on('data', (d: string) => (got += d));
          sock.on('error', reject);
          sock.on('close', () => resolve(got));
          // a query string sends the request through express instead of the fast path
          const path = via === 'fast path' ? u.pathname : `${u.pathname}?version=1`;
          sock.write(
            `POST ${path} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"recency": 1}`,
          );
          sock.end(); // half-close: the server knows the rest will never come
          setTimeout(() => sock.destroy(), 5000).unref();
        });
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
        expect(status, `raw answer: ${JSON.stringify(raw.slice(0, 120))}`).to.be.within(400, 499);
      });
  });

  describe('pinning', () => {
    it('?version=2 answers with v2', async () => {
      const r = await postJson(`${url}?version=2`, { recency: 3, frequency: 2, monetary: 50 });
      expect(r.status).to.equal(200);
      expect(r.json.model_version).to.equal(2);
      expect(r.headers.get('x-model-version')).to.equal('2');
    });
    it('?alias=production answers with the active version', async () => {
      const r = await postJson(`${url}?alias=production`, { recency: 3, frequency: 2, monetary: 50 });
      expect(r.json.model_version).to.equal(1);
    });
    it('an absent version or alias → 404 NOT_FOUND', async () => {
      const v = await postJson(`${url}?version=99`, { recency: 3, frequency: 2, monetary: 50 });
      expect(v.status).to.equal(404);
      expect(v.json.error.code).to.equal('NOT_FOUND');
      const a = await postJson(`${url}?alias=staging`, { recency: 3, frequency: 2, monetary: 50 });
      expect(a.status).to.equal(404);
      expect(a.json.error.message).to.match(/no alias "staging"/);
    });
    it('a pinned version whose artifact is corrupt → 503, not a 500', async () => {
      const r = await postJson(`${url}?version=3`, { recency: 3, frequency: 2, monetary: 50 });
      expect(r.status).to.equal(503);
      expect(r.json.error.code).to.equal('MODEL_UNAVAILABLE');
    });
    it('bad query values → 400 naming the parameter', async () => {
      for (const q of [
        'version=0',
        'version=abc',
        'version=1&version=2',
        'alias=Bad%20Name',
        'version=1&alias=production',
        'verison=2',
      ]) {
        const r = await postJson(`${url}?${q}`, { recency: 3, frequency: 2, monetary: 50 });
        expect(r.status, q).to.equal(400);
        expect(r.json.error.issues[0].path, q).to.match(/^query/);
      }
    });
  });
});

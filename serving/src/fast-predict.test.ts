import { expect } from 'chai';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import type { RunningServer } from './server.js';
import {
  artifactWithCentroids,
  CENTROIDS_A,
  postJson,
  registerVersion,
  startTestServer,
  tempRegistry,
  type TempRegistry,
} from './test-support/fixtures.js';

/** The hot path (plain POST /api/v1/predict) and the express route (here reached with ?alias=production) answer alike. */
describe('scoring fast path', () => {
  let t: TempRegistry;
  let s: RunningServer;
  before(async () => {
    t = tempRegistry();
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A));
    s = await startTestServer(t.file);
  });
  after(async () => {
    await s.close();
    t.cleanup();
  });

  const drop = new Set(['date', 'x-request-id', 'keep-alive', 'connection']);
  const headers = (h: Headers) => Object.fromEntries([...h].filter(([k]) => !drop.has(k)));

  for (const body of [
    { CID: 12346, Recency: 325, Monetary: 77183.6, Frequency: 1 },
    {
      instances: [
        { recency: 3, frequency: 30, monetary: 12000 },
        { cid: 'x', recency: 300, frequency: 1, monetary: 40 },
      ],
    },
  ])
    it(`same status, headers and body through both paths: ${JSON.stringify(body).slice(0, 60)}`, async () => {
      const fast = await postJson(`${s.url}/api/v1/predict`, body, { 'x-request-id': 'abc-1' });
      const slow = await postJson(`${s.url}/api/v1/predict?alias=production`, body, { 'x-request-id': 'abc-1' });
      expect(fast.status).to.equal(200);
      expect(fast.json).to.deep.equal(slow.json);
      expect(headers(fast.headers)).to.deep.equal(headers(slow.headers));
      expect(fast.headers.get('x-request-id')).to.equal('abc-1');
    });

  it('anything unusual falls through to express and its messages', async () => {
    const r = await postJson(`${s.url}/api/v1/predict`, { recency: 1, frequency: 1.5, monetary: 1 });
    expect(r.status).to.equal(400);
    expect(r.json.error.message).to.equal('invalid request: frequency: frequency must be a whole number');
    // bodies that are JSON but not an object or array: the same strict-mode message as express.json
    for (const raw of ['0', ' "x"', 'null', '  ', '\ufeff{"recency":1,"frequency":1,"monetary":1}']) {
      const viaFast = await postJson(`${s.url}/api/v1/predict`, raw);
      const viaExpress = await postJson(`${s.url}/api/v1/predict?alias=production`, raw);
      expect({ status: viaFast.status, json: viaFast.json }, JSON.stringify(raw)).to.deep.equal({
        status: viaExpress.status,
        json: viaExpress.json,
      });
    }
    const bad = await postJson(`${s.url}/api/v1/predict`, '{"recency":');
    expect(bad.status).to.equal(400);
    expect(bad.json.error.message).to.match(/^body is not valid JSON: /);
  });

  it('three requests pipelined on one connection are answered in their order', async () => {
    const body = (cid: string) => JSON.stringify({ CID: cid, Recency: 10, Monetary: 100, Frequency: 2 });
    const sock = connect(s.port, '127.0.0.1');
    let out = '';
    sock.on('data', (d) => (out += d));
    sock.write(
      ['A1', 'B2', 'C3']
        .map(
          (c) =>
            `POST /api/v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body(c).length}\r\n\r\n${body(c)}`,
        )
        .join(''),
    );
    const t0 = Date.now();
    while ((out.match(/"cid":/g) ?? []).length < 3 && Date.now() - t0 < 5000)
      await new Promise((r) => setTimeout(r, 20));
    sock.destroy();
    expect(out.match(/"cid":"[^"]+"/g)).to.deep.equal(['"cid":"A1"', '"cid":"B2"', '"cid":"C3"']);
  });

  it('400 requests at once on 32 connections: every answer is for the request it answers (answers go out batched per turn)', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    const body = (i: number) =>
      JSON.stringify({ CID: 50_000 + i, Recency: i % 370, Monetary: 10 + 37 * i, Frequency: 1 + (i % 40) });
    const post = (i: number, path: string) =>
      new Promise<{ id: string; json: { predictions: { cid: string }[] } }>((resolve, reject) => {
        const r = request(
          `${s.url}${path}`,
          { method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-request-id': `req-${i}` } },
          (res) => {
            let text = '';
            res.on('data', (d) => (text += d));
            res.on('end', () => resolve({ id: String(res.headers['x-request-id']), json: JSON.parse(text) }));
          },
        );
        r.on('error', reject);
        r.end(body(i));
      });
    try {
      const ids = Array.from({ length: 400 }, (_, i) => i);
      const fast = await Promise.all(ids.map((i) => post(i, '/api/v1/predict')));
      const sockets = new Set(Object.values(agent.freeSockets).flat()).size;
      expect(sockets, 'connections used').to.be.within(2, 32);
      for (const i of ids.filter((i) => i % 20 === 0)) {
        const viaExpress = await post(i, '/api/v1/predict?alias=production');
        expect(fast[i]!.json, `request ${i}`).to.deep.equal(viaExpress.json);
      }
      for (const i of ids) {
        expect(fast[i]!.id).to.equal(`req-${i}`);
        expect(fast[i]!.json.predictions[0].cid).to.equal(String(50_000 + i));
      }
    } finally {
      agent.destroy();
    }
  });
});

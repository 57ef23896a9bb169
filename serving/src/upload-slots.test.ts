import { expect } from 'chai';
import { request, type ClientRequest } from 'node:http';
import type { RunningServer } from './server.js';
import { MAX_CONCURRENT_UPLOADS } from './upload-slots.js';
import {
  artifactWithCentroids,
  CENTROIDS_A,
  registerVersion,
  startTestServer,
  tempRegistry,
  type TempRegistry,
} from './test-support/fixtures.js';

const BOUNDARY = 'rfmtestboundary';
const head = Buffer.from(
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="c.csv"\r\nContent-Type: text/csv\r\n\r\ncid,recency,frequency,monetary\n`,
);
const tail = Buffer.from(`c1,10,2,300\n\r\n--${BOUNDARY}--\r\n`);

/** Start an upload and keep it open (the head is sent, the rest waits): it holds a slot. */
function openUpload(url: string): {
  req: ClientRequest;
  answer: Promise<{ status: number; retryAfter?: string; body: string }>;
} {
  let req!: ClientRequest;
  const answer = new Promise<{ status: number; retryAfter?: string; body: string }>((resolve) => {
    req = request(
      `${url}/score`,
      { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, accept: 'text/csv' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}),
          }),
        );
      },
    );
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.write(head);
  });
  return { req, answer };
}

/**
 * The no-JavaScript upload keeps each file (up to 20 MB) in memory; any number
 * could be in flight at once (50 = 1 GB). Now at most MAX_CONCURRENT_UPLOADS are, and the rest are
 * refused at once with 503 + Retry-After, before their bodies are read.
 */
describe('POST /score: a bounded number of uploads at once', function () {
  this.timeout(60_000);
  let t: TempRegistry;
  let s: RunningServer;
  before(async () => {
    t = tempRegistry();
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A));
    s = await startTestServer(t.file);
  });
  after(async () => {
    await s.close({ drainMs: 500 });
    t.cleanup();
  });

  it(`${MAX_CONCURRENT_UPLOADS} slow uploads hold the slots; 8 more get 503 + Retry-After at once; predictions answered; slots free again after`, async () => {
    const held = Array.from({ length: MAX_CONCURRENT_UPLOADS }, () => openUpload(s.url));
    await new Promise((r) => setTimeout(r, 300)); // the server has taken them
    const extra = Array.from({ length: 8 }, () => openUpload(s.url));
    // at once: a refusal must not wait for the body (before the fix these waited like the held ones)
    const refused = await Promise.all(
      extra.map((u) =>
        Promise.race([
          u.answer,
          new Promise<{ status: number; retryAfter?: string }>((r) => setTimeout(() => r({ status: -1 }), 5000)),
        ]),
      ),
    );
    for (const r of refused) {
      expect(r.status).to.equal(503);
      expect(r.retryAfter).to.equal('5');
    }
    for (const u of extra) u.req.destroy();
    const p = await fetch(`${s.url}/api/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"recency":10,"frequency":2,"monetary":300}',
    });
    expect(p.status).to.equal(200);
    for (const u of held) u.req.end(tail);
    const done = await Promise.all(held.map((u) => u.answer));
    for (const d of done) {
      expect(d.status, d.body).to.equal(200);
      expect(d.body.split('\n')[1]).to.match(/^c1,10,2,300,\d,/);
    }
    // the slots were released: a new upload is scored
    const again = openUpload(s.url);
    again.req.end(tail);
    expect((await again.answer).status).to.equal(200);
  });
});

import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postWebhook } from './webhook.js';

/** A receiver on loopback, port 0, answering each request with the next of `answers` (then the last). */
async function receiver(answers: (number | 'hang')[]) {
  const got: { at: number; body: string; type: string | undefined }[] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      body += d;
    });
    req.on('end', () => {
      got.push({ at: performance.now(), body, type: req.headers['content-type'] });
      const a = answers[Math.min(got.length - 1, answers.length - 1)]!;
      if (a === 'hang') hanging.push(res);
      else res.writeHead(a).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?token=s3cret`;
  const close = async () => {
    for (const r of hanging) r.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return { url, got, close };
}

describe('postWebhook (loopback receiver)', function () {
  this.timeout(20_000);
  const payload = { event: 'run.saved', model: 'm', run_id: 'r-20260101-abcdef' };

  it('delivers JSON on the first 2xx', async () => {
    const r = await receiver([204]);
    try {
      const d = await postWebhook(r.url, payload);
      expect(d).to.include({ ok: true, attempts: 1, status: 204, error: null });
      expect(r.got).to.have.length(1);
      expect(r.got[0]!.type).to.equal('application/json');
      expect(JSON.parse(r.got[0]!.body)).to.deep.equal(payload);
    } finally {
      await r.close();
    }
  });

  it('retries a 500 after the backoff, then succeeds', async () => {
    const r = await receiver([500, 503, 200]);
    try {
      const d = await postWebhook(r.url, payload, { backoffMs: [100, 200] });
      expect(d).to.include({ ok: true, attempts: 3, status: 200 });
      expect(r.got).to.have.length(3);
      // the waits between attempts are the backoff (timers may run late, never early)
      expect(r.got[1]!.at - r.got[0]!.at).to.be.at.least(95);
      expect(r.got[2]!.at - r.got[1]!.at).to.be.at.least(195);
      for (const g of r.got) expect(JSON.parse(g.body)).to.deep.equal(payload);
    } finally {
      await r.close();
    }
  });

  it('gives up after the attempts on a receiver that keeps failing: 3 requests, no storm', async () => {
    const r = await receiver([500]);
    try {
      const d = await postWebhook(r.url, payload, { backoffMs: [50] });
      expect(d).to.include({ ok: false, attempts: 3, status: 500, error: 'HTTP 500' });
      expect(r.got).to.have.length(3);
    } finally {
      await r.close();
    }
  });

  it('a 4xx other than 429 is final: one request', async () => {
    const r = await receiver([404]);
    try {
      const d = await postWebhook(r.url, payload, { backoffMs: [50] });
      expect(d).to.include({ ok: false, attempts: 1, status: 404, error: 'HTTP 404' });
      expect(r.got).to.have.length(1);
    } finally {
      await r.close();
    }
  });

  it('a hanging receiver costs at most attempts × timeout + backoff', async () => {
    const r = await receiver(['hang']);
    try {
      const t0 = performance.now();
      const d = await postWebhook(r.url, payload, { timeoutMs: 300, backoffMs: [100] });
      const ms = performance.now() - t0;
      expect(d).to.include({ ok: false, attempts: 3, status: null, error: 'no answer within 300 ms' });
      expect(r.got).to.have.length(3);
      // 3 × 300 ms + 2 × 100 ms = 1.1 s; a loaded machine gets slack, an unbounded wait would not pass
      expect(ms).to.be.within(1050, 4000);
    } finally {
      await r.close();
    }
  });

  it('a refused connection is a failure in words, never a throw', async () => {
    const r = await receiver([200]);
    const url = r.url;
    await r.close(); // nobody listens on that port any more
    const d = await postWebhook(url, payload, { attempts: 2, backoffMs: [10] });
    expect(d).to.include({ ok: false, attempts: 2, status: null, error: 'ECONNREFUSED' });
  });
});

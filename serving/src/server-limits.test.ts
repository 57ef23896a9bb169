import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, Socket } from 'node:net';
import { startServer, type RunningServer } from './server.js';
import { silentLogger } from './logger.js';
import { applyLimits, SERVER_LIMITS } from './server-limits.js';
import {
  artifactWithCentroids,
  CENTROIDS_A,
  registerVersion,
  tempRegistry,
  testConfig,
  type TempRegistry,
} from './test-support/fixtures.js';

const BODY = JSON.stringify({ recency: 10, frequency: 3, monetary: 500 });

async function predictLatencies(url: string, n: number): Promise<{ ok: number; p99: number }> {
  const lat: number[] = [];
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await fetch(`${url}/api/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: BODY,
      signal: AbortSignal.timeout(5000),
    });
    await r.text();
    if (r.status === 200) ok++;
    lat.push(performance.now() - t0);
  }
  lat.sort((a, b) => a - b);
  return { ok, p99: lat[Math.floor(0.99 * (lat.length - 1))]! };
}

/**
 * Slowloris: 1,000 sockets that send half a request and then one header line
 * now and then used to be kept for Node's defaults (60 s of headers, checked every 30 s), and an
 * idle socket forever. The deadlines here are the production ones shortened (headers 1.5 s) so
 * the test is quick; the same code path applies them.
 */
describe('server limits: slow and idle connections', function () {
  this.timeout(60_000);
  let t: TempRegistry;
  let s: RunningServer;
  before(async () => {
    t = tempRegistry();
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A));
    s = await startServer({
      config: testConfig(t.file),
      logger: silentLogger(),
      limits: { headersTimeoutMs: 1500, checkEveryMs: 250, keepAliveTimeoutMs: 1000 },
    });
  });
  after(async () => {
    await s.close({ drainMs: 500 });
    t.cleanup();
  });

  it('production defaults: headers 10 s checked every second, keep-alive 5 s, a connection cap', () => {
    expect(SERVER_LIMITS).to.include({ headersTimeoutMs: 10_000, checkEveryMs: 1_000, keepAliveTimeoutMs: 5_000 });
    expect(SERVER_LIMITS.maxConnections).to.be.within(2_000, 50_000);
  });

  it('1,000 slowloris sockets: predictions keep being answered, and the server drops every slow socket at the header deadline', async () => {
    const idle = await predictLatencies(s.url, 200);
    expect(idle.ok).to.equal(200);
    const sockets: Socket[] = [];
    const opened = Date.now();
    for (let i = 0; i < 1000; i++) {
      const sock = connect(s.port, '127.0.0.1');
      sock.on('error', () => {});
      sock.write('POST /api/v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n');
      sockets.push(sock);
    }
    const drip = setInterval(() => {
      for (const x of sockets) if (!x.destroyed) x.write(`X-Slow: ${Date.now()}\r\n`);
    }, 2000); // slower than the 1.5 s deadline: Node's own headersTimeout never closed these
    try {
      await Promise.all(sockets.map((x) => new Promise((r) => (x.connecting ? x.once('connect', r) : r(null)))));
      const attacked = await predictLatencies(s.url, 200);
      expect(attacked.ok, 'predictions answered while 1,000 sockets dribble headers').to.equal(200);
      // generous: the point is "still answered promptly", not a tight timing on a shared machine
      expect(attacked.p99).to.be.lessThan(Math.max(10 * idle.p99, 500));
      // every slow socket is closed by the server at the header deadline (all were connected before
      // the predictions began; slack for a loaded machine)
      // grace 8 s: in the full suite on 2 loaded cores 99 of 1,000 were still open 3 s after the deadline
      // (alone they close within 3 s); without the header deadline none would ever close (the drip keeps them alive)
      const deadline = Math.max(Date.now(), opened + 1500) + 8000;
      while (sockets.some((x) => !x.destroyed) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(sockets.filter((x) => !x.destroyed).length, 'slow sockets still open').to.equal(0);
    } finally {
      clearInterval(drip);
      for (const x of sockets) x.destroy();
    }
  });

  it('an idle kept-alive connection is closed after the keep-alive timeout', async () => {
    const sock = connect(s.port, '127.0.0.1');
    sock.on('error', () => {});
    const closed = new Promise<number>((r) => sock.once('close', () => r(Date.now())));
    sock.write(
      `POST /api/v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`,
    );
    const answered = await new Promise<number>((r) => sock.once('data', () => r(Date.now())));
    const at = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 4000))]);
    sock.destroy();
    expect(at, 'connection still open 4 s after its answer').to.be.greaterThan(0);
    expect(at - answered).to.be.within(500, 3000);
  });

  for (const [route, path] of [
    ['the scoring fast path', '/api/v1/predict'],
    ['an express route', '/api/v1/predict?version=1'],
  ] as const)
    it(`${route}: a body sent slower than the header deadline is answered, and the connection's deadline starts again at the answer`, async () => {
      const sock = connect(s.port, '127.0.0.1');
      sock.on('error', () => {});
      const closed = new Promise<number>((r) => sock.once('close', () => r(Date.now())));
      sock.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n`,
      );
      // the body in three parts over 2.4 s: past the 1.5 s header deadline, well within requestTimeout
      for (const part of [BODY.slice(0, 5), BODY.slice(5, 10)]) {
        sock.write(part);
        await new Promise((r) => setTimeout(r, 1200));
      }
      expect(sock.destroyed, 'cut while its body was coming in').to.equal(false);
      const answer = new Promise<string>((r) => sock.once('data', (d) => r(String(d))));
      sock.write(BODY.slice(10));
      const text = await Promise.race([answer, new Promise<string>((r) => setTimeout(() => r('(no answer)'), 3000))]);
      const answered = Date.now();
      expect(text.split('\r\n')[0]).to.equal('HTTP/1.1 200 OK');
      // then idle: keep-alive (1 s here) or the header deadline (1.5 s) closes it; not at once
      const at = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 4000))]);
      sock.destroy();
      expect(at, 'connection still open 4 s after its answer').to.be.greaterThan(0);
      expect(at - answered).to.be.within(500, 3000);
    });

  it('a socket that connects and sends nothing is dropped', async () => {
    const sock = connect(s.port, '127.0.0.1');
    sock.on('error', () => {});
    const t0 = Date.now();
    const closed = new Promise<number>((r) => sock.once('close', () => r(Date.now())));
    const at = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 5000))]);
    sock.destroy();
    expect(at, 'silent socket still open after 5 s').to.be.greaterThan(0);
    expect(at - t0).to.be.within(1000, 3500);
  });
});

describe('server limits: a request whose socket is gone', () => {
  it('finishing a response after the socket was detached (req.socket null) does not throw', () => {
    const server = createServer();
    const deadlines = applyLimits(server, { ...SERVER_LIMITS, headersTimeoutMs: 50 });
    const req = new EventEmitter() as unknown as IncomingMessage;
    Object.defineProperty(req, 'socket', { value: null, writable: true });
    const res = new EventEmitter() as unknown as ServerResponse;
    let served = 0;
    expect(() => deadlines.around(() => served++)(req, res)).not.to.throw();
    expect(served).to.equal(1);
    expect(deadlines.requestIn(req)).to.equal(undefined);
    // before the fix: TypeError reading 'destroyed' of null, thrown from the 'finish' listener
    expect(() => res.emit('finish')).not.to.throw();
  });

  it('a socket destroyed before its response finished is not armed again', () => {
    const server = createServer();
    const deadlines = applyLimits(server, { ...SERVER_LIMITS, headersTimeoutMs: 50 });
    const socket = new Socket();
    server.emit('connection', socket);
    socket.destroy();
    const req = { socket } as unknown as IncomingMessage;
    const res = new EventEmitter() as unknown as ServerResponse;
    deadlines.around(() => {})(req, res);
    expect(res.listenerCount('finish'), 'the deadline waits for the answer').to.equal(1);
    expect(() => res.emit('finish')).not.to.throw();
  });
});

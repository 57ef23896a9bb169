import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { requestClassesFor } from './request-classes.js';

/** An app whose one route says whether express found the request and response already on its prototypes. */
function probeApp() {
  const app = express();
  const born = new WeakMap<object, object | null>();
  app.get('/probe', (req, res) => {
    res.json({
      requestBorn: born.get(req) === app.request,
      responseBorn: born.get(res) === app.response,
      requestNow: Object.getPrototypeOf(req) === app.request,
      appOnRequest: req.app === app,
      appOnResponse: res.app === app,
      path: req.path,
      query: req.query,
    });
  });
  return { app, born };
}

async function get(server: Server, path: string): Promise<{ status: number; type: string; body: unknown }> {
  const { port } = server.address() as AddressInfo;
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.json() };
}

async function listen(s: Server): Promise<Server> {
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return s;
}

describe('requestClassesFor: requests born with the express app’s prototypes', () => {
  const servers: Server[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it('node:http creates them on the app’s prototypes, and express answers as before', async () => {
    const { app, born } = probeApp();
    const classes = requestClassesFor(app);
    const server = await listen(
      createServer(classes, (req, res) => {
        born.set(req, Object.getPrototypeOf(req));
        born.set(res, Object.getPrototypeOf(res));
        app(req, res);
      }),
    );
    servers.push(server);
    const r = await get(server, '/probe?x=1');
    expect(r.status).to.equal(200);
    expect(r.type).to.match(/^application\/json/);
    expect(r.body).to.deep.equal({
      requestBorn: true,
      responseBorn: true,
      requestNow: true,
      appOnRequest: true,
      appOnResponse: true,
      path: '/probe',
      query: { x: '1' },
    });
  });

  it('without them express changes every request’s prototype (what the classes avoid)', async () => {
    const { app, born } = probeApp();
    const server = await listen(
      createServer((req, res) => {
        born.set(req, Object.getPrototypeOf(req));
        born.set(res, Object.getPrototypeOf(res));
        app(req, res);
      }),
    );
    servers.push(server);
    const r = await get(server, '/probe');
    expect(r.body).to.deep.include({ requestBorn: false, responseBorn: false, requestNow: true, appOnRequest: true });
  });
});

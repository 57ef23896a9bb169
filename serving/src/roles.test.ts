/**
 * Roles on every route that writes, driven from the route table (route-table.ts): a real server on
 * port 0 over a real registry file and a real users file (ana: viewer, bob: admin) plus the env
 * tokens (admin, reader). Every mounted route whose method is not GET/HEAD is either listed below
 * as open, as a sign-in route or as a viewer action — or it must refuse a viewer with 403 naming the
 * admin role and change nothing. A new write route without a role check fails here. Then every
 * admin route is exercised by an admin (each must be in ADMIN_CALLS) and the audit trail must name
 * the person the token or session belongs to, never a typed name.
 */
import { expect } from 'chai';
import { chmodSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashToken, loadConfig, writeUsersFile, type UserEntry } from '@rfm/shared';
import { Registry } from '@rfm/registry';
import { pino } from 'pino';
import { createApp } from './app.js';
import { ModelHolder } from './model-holder.js';
import { RegistryWriter } from './registry-writer.js';
import { mountedRoutes } from './route-table.js';
import { runIdentity } from './runs/identity.js';
import { RunQueue } from './runs/run-queue.js';
import {
  artifactWithCentroids,
  CENTROIDS_A,
  CENTROIDS_B,
  MODEL,
  registerVersion,
  startTestServer,
  tempRegistry,
  type TempRegistry,
} from './test-support/fixtures.js';

const ANA = 'ana-viewer-token-'.padEnd(43, 'a');
const BOB = 'bob-admin-token-'.padEnd(43, 'b');
const ENV_ADMIN = 'env-admin-token-'.padEnd(40, 'e');
const ENV_READ = 'env-read-token-'.padEnd(40, 'r');
const RUN = 'r-20261130-00000000';

/** Write routes anyone may call (no customer data, no registry change). */
const OPEN = [
  'POST /api/v1/predict',
  'POST /api/v1/predict/csv',
  'POST /api/v1/predict/transactions',
  'POST /',
  'POST /score',
];
/** Signing in and out is for everyone. */
const SIGN_IN = ['POST /admin/login', 'POST /admin/logout'];
/** What a viewer may do: score an export (API and web); cancel a run they started. */
const VIEWER = ['POST /api/v1/runs', 'POST /runs/new', 'POST /runs/new/columns', 'POST /runs/:id/cancel'];

const fill = (path: string) =>
  path
    .replace(':name', MODEL)
    .replace(':v', '2')
    .replace(':alias', 'staging')
    .replace(':id', RUN)
    .replace(':cid', 'c1');

describe('roles on every write route (route table, real server, users file)', function () {
  this.timeout(120_000);
  let t: TempRegistry;
  let server: Server;
  let url: string;
  let routes: { method: string; path: string }[];
  let holder: ModelHolder;
  let queue: RunQueue;

  before(async () => {
    t = tempRegistry();
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A), { promote: true });
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_B));
    const usersFile = join(t.dir, 'users.json');
    const at = new Date().toISOString();
    const entry = (name: string, role: UserEntry['role'], token: string): UserEntry => ({
      name,
      role,
      token_sha256: hashToken(token),
      created: at,
      rotated: null,
    });
    writeUsersFile(usersFile, [entry('ana', 'viewer', ANA), entry('bob', 'admin', BOB)]);
    const config = loadConfig(
      {},
      { registry: t.file, port: 0, users: usersFile, adminToken: ENV_ADMIN, readToken: ENV_READ, logLevel: 'silent' },
    );
    const logger = pino({ level: 'silent' });
    holder = new ModelHolder({ registry: t.file, modelName: MODEL, pollMs: 1000, logger });
    const identity = runIdentity();
    const writer = new RegistryWriter(t.file);
    queue = new RunQueue({ registry: t.file, writer, logger, identity, base: tmpdir() }); // never started: runs stay queued
    const app = createApp({
      holder,
      config,
      logger,
      writer,
      runs: { queue, identity, base: tmpdir(), canTrain: true },
      authFailures: { limit: 10_000, windowMs: 60_000 },
    });
    routes = mountedRoutes(app);
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((ok) => server.once('listening', () => ok()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    await new Promise<void>((ok) => server.close(() => ok()));
    t.cleanup();
  });

  /** Sign in on the web with a token; the session cookie and the form token of its pages. */
  async function webSession(token: string): Promise<{ cookie: string; csrf: string; who: string }> {
    const r = await fetch(`${url}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, actor: 'Mallory', next: '/admin' }).toString(),
    });
    expect(r.status).to.equal(303);
    const cookie = /^(rfm_admin=[^;]+)/.exec(r.headers.get('set-cookie') ?? '')![1]!;
    const page = await (await fetch(`${url}/admin`, { headers: { cookie } })).text();
    return {
      cookie,
      csrf: /name="csrf" value="([^"]+)"/.exec(page)![1]!,
      who: /<span id="who">([^<]+)<\/span>/.exec(page)![1]!,
    };
  }

  const send = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    fetch(`${url}${path}`, { method, redirect: 'manual', headers: { accept: 'application/json', ...headers }, body });

  const snapshot = async () => {
    const r = await Registry.openReadOnly(t.file);
    try {
      return {
        events: await r.history(MODEL, { limit: 1000 }),
        models: await r.models(),
        runs: await r.listRunJobs({}),
      };
    } finally {
      await r.close();
    }
  };

  const adminRoutes = () =>
    routes
      .filter((r) => !['GET', 'HEAD'].includes(r.method))
      .map((r) => `${r.method} ${r.path}`)
      .filter((k) => ![...OPEN, ...SIGN_IN, ...VIEWER].includes(k));

  it('the route table has the write routes this test knows of, and the listed ones exist', () => {
    const keys = routes.map((r) => `${r.method} ${r.path}`);
    for (const k of [...OPEN, ...SIGN_IN, ...VIEWER]) expect(keys, k).to.include(k);
    expect(adminRoutes().length).to.be.at.least(10);
  });

  it('the web sign-in names the person from the token, never from a typed name', async () => {
    expect((await webSession(ANA)).who).to.equal('ana (viewer)');
    expect((await webSession(BOB)).who).to.equal('bob (admin)');
    expect((await webSession(ENV_ADMIN)).who).to.equal('admin (admin)');
    expect((await webSession(ENV_READ)).who).to.equal('reader (viewer)');
  });

  it('a viewer (API token or web session) gets 403 naming the admin role on every other write route; nothing changes', async () => {
    const before = await snapshot();
    const web = await webSession(ANA);
    const apiViewers = [ANA, ENV_READ];
    for (const key of adminRoutes()) {
      const [method, path] = key.split(' ') as [string, string];
      const attempts = path.startsWith('/api/')
        ? apiViewers.map((tok) =>
            send(
              method,
              fill(path),
              { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
              '{"version":1}',
            ),
          )
        : [
            send(
              method,
              fill(path),
              {
                cookie: web.cookie,
                'content-type': 'application/x-www-form-urlencoded',
                'sec-fetch-site': 'same-origin',
              },
              new URLSearchParams({ csrf: web.csrf, reason: 'viewer tries', cluster: '0', name: 'X' }).toString(),
            ),
          ];
      for (const r of await Promise.all(attempts)) {
        const text = await r.text();
        expect(r.status, `${key}: ${text}`).to.equal(403);
        expect(JSON.parse(text).error.message, key).to.match(/^this needs the admin role; (ana|reader) is a viewer/);
      }
    }
    expect(await snapshot()).to.deep.equal(before);
  });

  it('no token → 401, a token that is no one’s → 401, on every write route that needs a person', async () => {
    for (const key of [...adminRoutes(), 'POST /api/v1/runs'].filter((k) => k.includes(' /api/'))) {
      const [method, path] = key.split(' ') as [string, string];
      expect((await send(method, fill(path), {})).status, key).to.equal(401);
      expect((await send(method, fill(path), { authorization: `Bearer ${'z'.repeat(43)}` })).status, key).to.equal(401);
    }
  });

  /** One admin call per admin route: how to make it succeed, and the audit event it must leave (if any). */
  const ADMIN_CALLS: Record<string, { body?: Record<string, unknown>; web?: true; expect?: number; event?: string }> = {
    'PUT /api/v1/models/:name/aliases/:alias': { body: { version: 2, reason: 'stage it' }, event: 'alias_set' },
    'DELETE /api/v1/models/:name/aliases/:alias': { body: { reason: 'unstage' }, event: 'alias_delete' },
    'POST /api/v1/models/:name/versions/:v/relabel': { body: { cluster: 0, name: 'Best Friends' }, event: 'relabel' },
    'POST /api/v1/models/:name/versions/:v/promote': { body: { reason: 'go', force: true }, event: 'promote' },
    'POST /api/v1/models/:name/rollback': { body: { reason: 'back' }, event: 'rollback' },
    'POST /models/:name/:v/promote': {
      web: true,
      body: { reason: 'web go', force: 'on' },
      expect: 303,
      event: 'promote',
    },
    'POST /models/:name/:v/relabel': {
      web: true,
      body: { reason: 'web name', cluster: '1', name: 'Web Name' },
      expect: 303,
      event: 'relabel',
    },
    'POST /models/:name/rollback': { web: true, body: { reason: 'web back' }, expect: 303, event: 'rollback' },
    'POST /api/v1/models/:name/versions/:v/archive': { body: { reason: 'retire' } },
    'DELETE /api/v1/runs/:id': { expect: 404 }, // no such run: past the guard, answered by the route
    // a customer in no run: past the guard, answered by the route (nothing to erase)
    'POST /api/v1/customers/:cid/forget': { body: { reason: 'request' }, expect: 404 },
    // no such saved run: past the role check, answered by the route (nothing trained)
    'POST /runs/:id/retrain': { web: true, body: { k: '4' }, expect: 404 },
    // last: it ends every web session, this one's too
    'POST /admin/logout-all': { web: true, expect: 303 },
  };

  it('an admin may call every admin route; each event names the person (api:bob / web:bob), never a typed name', async () => {
    const missing = adminRoutes().filter((k) => !ADMIN_CALLS[k]);
    expect(missing, 'admin routes this test does not exercise: add them to ADMIN_CALLS').to.deep.equal([]);
    const web = await webSession(BOB);
    const seen: [string, string][] = [];
    for (const [key, call] of Object.entries(ADMIN_CALLS)) {
      const [method, path] = key.split(' ') as [string, string];
      const before = (await snapshot()).events.length;
      const r = call.web
        ? await send(
            method,
            fill(path),
            {
              cookie: web.cookie,
              'content-type': 'application/x-www-form-urlencoded',
              'sec-fetch-site': 'same-origin',
            },
            new URLSearchParams({ csrf: web.csrf, ...(call.body as Record<string, string>) }).toString(),
          )
        : await send(
            method,
            fill(path),
            { authorization: `Bearer ${BOB}`, 'content-type': 'application/json' },
            JSON.stringify(call.body ?? {}),
          );
      expect(r.status, `${key}: ${await r.text()}`).to.equal(call.expect ?? 200);
      if (call.event) {
        const [newest] = (await snapshot()).events;
        expect((await snapshot()).events.length, key).to.equal(before + 1);
        seen.push([key, `${newest!.action} ${newest!.actor}`]);
        expect(newest!.actor, key).to.equal(call.web ? 'web:bob' : 'api:bob');
        if (call.event !== 'promote') expect(newest!.action, key).to.equal(call.event);
      }
    }
    expect(seen).to.have.length(8);
  });

  it('a viewer may start a run through the API: the job records the person', async () => {
    const r = await send(
      'POST',
      '/api/v1/runs?save=false',
      { authorization: `Bearer ${ANA}`, 'content-type': 'text/csv' },
      'a,b\n1,2\n',
    );
    expect(r.status, await r.clone().text()).to.equal(202);
    const { id } = (await r.json()) as { id: string };
    const jobs = (await snapshot()).runs;
    expect(jobs.find((j) => j.id === id)?.createdBy).to.equal('api:ana');
  });

  it('a viewer may cancel a run they started, not another person’s (403 naming the role); the run is untouched', async () => {
    const start = async (token: string) => {
      const r = await send(
        'POST',
        '/api/v1/runs?save=false',
        { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
        'a,b\n1,2\n',
      );
      expect(r.status).to.equal(202);
      return ((await r.json()) as { id: string }).id;
    };
    const mine = await start(ANA);
    const bobs = await start(BOB);
    const web = await webSession(ANA);
    const cancel = (id: string) =>
      send(
        'POST',
        `/runs/${id}/cancel`,
        { cookie: web.cookie, 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
        new URLSearchParams({ csrf: web.csrf }).toString(),
      );
    const refused = await cancel(bobs);
    expect(refused.status).to.equal(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).to.equal(
      "cancelling another person's run needs the admin role; ana is a viewer",
    );
    expect((await cancel(mine)).status).to.equal(303);
    const jobs = new Map((await snapshot()).runs.map((j) => [j.id, j.state]));
    expect([jobs.get(mine), jobs.get(bobs)]).to.deep.equal(['cancelled', 'queued']);
    // the status page offers the cancel button only where it would be allowed
    const page = async (id: string) => (await fetch(`${url}/runs/${id}`, { headers: { cookie: web.cookie } })).text();
    expect(await page(bobs)).to.not.include('id="cancel-form"');
  });

  it('a server refuses to start with a malformed or world-readable users file, naming the file and the entry', async () => {
    const bad = join(t.dir, 'bad-users.json');
    writeFileSync(
      bad,
      JSON.stringify({
        users: [{ name: 'ana', role: 'viewer', token_sha256: ANA, created: new Date().toISOString() }],
      }),
      {
        mode: 0o600,
      },
    );
    const refused = await startTestServer(t.file, { users: bad }).then(
      async (s) => {
        await s.close();
        return null;
      },
      (e: Error) => e.message,
    );
    expect(refused).to.equal(
      `users file ${bad}: entry 1 ("ana"), field token_sha256: this looks like a token, not its sha256: ` +
        'the users file must never hold a token (rfm users rotate NAME makes a new one)',
    );
    chmodSync(bad, 0o644);
    const open = await startTestServer(t.file, { users: bad }).then(
      async (s) => {
        await s.close();
        return null;
      },
      (e: Error) => e.message,
    );
    expect(open).to.include('other users of this machine can read it (mode 644); run: chmod 600');
  });

  it('a typed actor in an API body cannot change who is recorded', async () => {
    const r = await send(
      'POST',
      `/api/v1/models/${MODEL}/versions/1/relabel`,
      { authorization: `Bearer ${BOB}`, 'content-type': 'application/json' },
      JSON.stringify({ cluster: 0, name: 'Spoofed', actor: 'mallory' }),
    );
    expect(r.status).to.equal(400);
    expect(((await r.json()) as { error: { message: string } }).error.message).to.include('the token belongs to bob');
    expect((await snapshot()).events.some((e) => e.actor.includes('mallory'))).to.equal(false);
  });
});

/**
 * Named users against a real `rfm serve --workers 2` process: a person added with `rfm users add`
 * (a real CLI process) signs in on the web with their token alone; the session holds on every
 * worker (the primary hands each the cookie key); `rfm users remove` ends it on the next request
 * without a restart, and their API token stops working too.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { registryWithProduction } from '../fixtures/production-registry.js';
import { rfm, startServerProcess, tempDir, waitFor } from '../support.js';

describe('rfm serve --workers 2 with a users file: sign-in, sessions across workers, removal', function () {
  this.timeout(180_000);
  const t = tempDir('rfm-serve-users-');
  const registry = join(t.dir, 'registry.db');
  const users = join(t.dir, 'users.json');
  let server: Awaited<ReturnType<typeof startServerProcess>> | undefined;
  after(async () => {
    await server?.stop();
    t.cleanup();
  });

  it('signs in by token, is known on every worker, and is signed out everywhere by rfm users remove', async () => {
    await registryWithProduction(registry);
    const added = await rfm(['users', 'add', 'ana', '--role', 'viewer'], { RFM_USERS: users });
    expect(added.code, added.stderr).to.equal(0);
    const token = added.stdout.trim();
    server = await startServerProcess(['--registry', registry, '--workers', '2'], { RFM_USERS: users }, 90_000);
    const url = server.url;
    await waitFor(async () => {
      const m = await (await fetch(`${url}/metrics`)).text();
      return /^rfm_model_serving\{model_version="1"\} 2$/m.test(m) ? true : undefined;
    }, 60_000);
    const login = await fetch(`${url}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', connection: 'close' },
      body: new URLSearchParams({ token, next: '/runs' }).toString(),
    });
    expect(login.status).to.equal(303);
    expect(login.headers.get('location')).to.equal('/runs');
    const cookie = /^(rfm_admin=[^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]!;
    // fresh connections land on either worker: every one knows the session
    for (let i = 0; i < 8; i++) {
      const r = await fetch(`${url}/runs`, { redirect: 'manual', headers: { cookie, connection: 'close' } });
      expect(r.status, `request ${i}`).to.equal(200);
      expect(await r.text()).to.include('<span id="who">ana (viewer)</span>');
    }
    const api = await fetch(`${url}/api/v1/runs`, { headers: { authorization: `Bearer ${token}` } });
    expect(api.status).to.equal(200);
    const removed = await rfm(['users', 'remove', 'ana'], { RFM_USERS: users });
    expect(removed.code, removed.stderr).to.equal(0);
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${url}/runs`, { redirect: 'manual', headers: { cookie, connection: 'close' } });
      expect(r.status, `after removal, request ${i}`).to.equal(303);
      expect(r.headers.get('location')).to.equal('/admin?next=%2Fruns');
    }
    const gone = await fetch(`${url}/api/v1/runs`, {
      headers: { authorization: `Bearer ${token}`, connection: 'close' },
    });
    expect(gone.status).to.equal(401);
  });
});

import { expect } from 'chai';
import type { RunningServer } from '../server.js';
import {
  adminSignIn,
  artifactWithCentroids,
  CENTROIDS_A,
  registerVersion,
  startTestServer,
  tempRegistry,
  type TempRegistry,
} from '../test-support/fixtures.js';

const TOKEN = 'sign-out-test-admin-token-0123456789';

/**
 * Over real HTTP: sign-out and "sign out everyone" are server-side. Before, the
 * session was a signed cookie only, so a copy of the cookie kept working after sign-out.
 */
describe('sign-out over HTTP: a replayed cookie is refused', function () {
  this.timeout(30_000);
  let t: TempRegistry;
  let s: RunningServer;
  before(async () => {
    t = tempRegistry();
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A));
    s = await startTestServer(t.file, { adminToken: TOKEN });
  });
  after(async () => {
    await s.close();
    t.cleanup();
  });

  const signIn = (actor: string) => adminSignIn(s.url, TOKEN, actor);
  /** the admin page as this cookie sees it: signed in (with its CSRF token) or not */
  const adminPage = async (cookie: string) => {
    const html = await (await fetch(`${s.url}/admin`, { headers: { cookie } })).text();
    return { signedIn: html.includes('id="sign-out"'), csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1] };
  };
  const post = (path: string, cookie: string, csrf: string) =>
    fetch(`${s.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf }).toString(),
    });

  it('sign out, then replay the old cookie: not signed in; another session is untouched', async () => {
    const a = await signIn('Ana');
    const b = await signIn('Ben');
    const pa = await adminPage(a);
    expect(pa.signedIn).to.equal(true);
    expect((await post('/admin/logout', a, pa.csrf!)).status).to.equal(303);
    expect((await adminPage(a)).signedIn, 'replayed cookie after sign-out').to.equal(false);
    expect((await adminPage(b)).signedIn).to.equal(true);
  });

  it('"sign out everyone" ends every session; signing in again works', async () => {
    const sessions = await Promise.all(['C', 'D', 'E'].map(signIn));
    const pc = await adminPage(sessions[0]!);
    expect((await post('/admin/logout-all', sessions[0]!, pc.csrf!)).status).to.equal(303);
    for (const c of sessions) expect((await adminPage(c)).signedIn).to.equal(false);
    expect((await adminPage(await signIn('F'))).signedIn).to.equal(true);
  });
});

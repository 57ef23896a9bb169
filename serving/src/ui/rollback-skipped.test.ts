import { expect } from 'chai';
import { Registry } from '@rfm/registry';
import type { RunningServer } from '../server.js';
import {
  adminSignIn,
  artifactWithCentroids,
  CENTROIDS_A,
  CENTROIDS_B,
  MODEL,
  registerVersion,
  startTestServer,
  tempRegistry,
  type TempRegistry,
} from '../test-support/fixtures.js';

const TOKEN = 'rollback-skipped-test-admin-token-0123';

/** Issue 15: the models page says which versions a rollback passed over and why, as the CLI prints them. */
describe('models page: rollback shows the versions it skipped', function () {
  this.timeout(30_000);
  let t: TempRegistry;
  let s: RunningServer;
  before(async () => {
    t = tempRegistry();
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A)); // v1 production
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_B, 7)); // v2
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A, 9)); // v3
    const reg = await Registry.open(t.file);
    const by = { actor: 'test', reason: 'setup', force: true };
    await reg.promote(MODEL, 2, by);
    await reg.promote(MODEL, 3, by);
    await reg.archive(MODEL, 2, by); // rollback from v3 must pass over v2 and land on v1
    await reg.close();
    s = await startTestServer(t.file, { adminToken: TOKEN });
  });
  after(async () => {
    await s.close();
    t.cleanup();
  });

  it('after a rollback that passed over an archived version, the notice names it and why', async () => {
    const cookie = await adminSignIn(s.url, TOKEN, 'Dana');
    const page = await (await fetch(`${s.url}/models`, { headers: { cookie } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const r = await fetch(`${s.url}/models/${MODEL}/rollback`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, reason: 'v3 looks wrong' }).toString(),
    });
    expect(r.status).to.equal(303);
    const to = r.headers.get('location')!;
    expect(to).to.equal('/models?done=rolled-back&to=1&skipped=2%3Aarchived');
    const after = await (await fetch(`${s.url}${to}`, { headers: { cookie } })).text();
    const notice = /<div class="notice[^"]*"[^>]*id="notice">(.*?)<\/div>/s.exec(after)?.[1] ?? '';
    expect(notice).to.include('Production rolled back to v1.').and.include('<li>Skipped v2: archived.</li>');
    // a forged parameter shows nothing it does not recognise
    const forged = await (
      await fetch(`${s.url}/models?done=rolled-back&to=1&skipped=${encodeURIComponent('2:<script>,x:y')}`)
    ).text();
    expect(forged).to.not.include('<script>').and.not.include('Skipped');
  });
});

import { expect } from 'chai';
import type { RunningServer } from '../server.js';
import { perWorkerLimit } from './rate-limit.js';
import {
  artifactWithCentroids,
  CENTROIDS_A,
  MODEL,
  registerVersion,
  startTestServer,
  tempRegistry,
  type TempRegistry,
} from '../test-support/fixtures.js';

const TOKEN = 'rate-limit-test-admin-token-0123456789';

/**
 * Failed admin authentications (bearer on the API, the sign-in form, admin forms)
 * are limited per client: 10 per 15 minutes over all workers. Before, an anonymous client could try
 * tokens as fast as the server answered.
 */
describe('rate limit on failed admin authentication', function () {
  this.timeout(60_000);
  let t: TempRegistry;
  let s: RunningServer;
  const rollback = (token: string, headers: Record<string, string> = {}) =>
    fetch(`${s.url}/api/v1/models/${MODEL}/rollback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: '{"reason":"test"}',
    });
  const signIn = (token: string, headers: Record<string, string> = {}) =>
    fetch(`${s.url}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ token, next: '/models' }).toString(),
    });

  before(async () => {
    t = tempRegistry();
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A));
  });
  afterEach(async () => s?.close());
  after(() => t.cleanup());

  it('per-worker budgets never add up to more than the total', () => {
    for (const w of [1, 2, 3, 4, 7, 10]) expect(perWorkerLimit(10, w) * w).to.be.at.most(10);
    expect(perWorkerLimit(10, 1)).to.equal(10);
    expect(perWorkerLimit(10, 4)).to.equal(2);
    expect(perWorkerLimit(10, 64)).to.equal(1); // at least one try per worker, or nobody could ever sign in
  });

  it('10 wrong bearer tokens → 401 each; the 11th try gets 429 + Retry-After, even with the right token; predictions unaffected', async () => {
    s = await startTestServer(t.file, { adminToken: TOKEN });
    for (let i = 0; i < 10; i++)
      expect((await rollback(`wrong-token-${i}-padding-padding-padding`)).status).to.equal(401);
    const limited = await rollback('still-wrong-token-padding-padding-padding');
    expect(limited.status).to.equal(429);
    expect(Number(limited.headers.get('retry-after'))).to.be.within(60, 15 * 60);
    expect(((await limited.json()) as { error: { code: string } }).error.code).to.equal('RATE_LIMITED');
    expect((await rollback(TOKEN)).status, 'the right token is also held back').to.equal(429);
    const p = await fetch(`${s.url}/api/v1/predict?version=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"recency":1,"frequency":1,"monetary":1}',
    });
    expect(p.status).to.equal(200);
    expect((await fetch(`${s.url}/api/v1/models/${MODEL}/history`)).status).to.equal(200);
  });

  it('the sign-in form: 10 wrong tokens → 401; then 429; the right token before the limit signs in and does not count', async () => {
    s = await startTestServer(t.file, { adminToken: TOKEN });
    expect((await signIn(TOKEN)).status).to.equal(303);
    for (let i = 0; i < 10; i++) expect((await signIn(`nope-${i}`)).status).to.equal(401);
    expect((await signIn('nope-again')).status).to.equal(429);
    expect((await signIn(TOKEN)).status).to.equal(429);
  });

  it('behind a trusted proxy: budgets are per forwarded client address, and the cookie is __Host- and Secure over https', async () => {
    s = await startTestServer(t.file, { adminToken: TOKEN, trustProxy: '1' });
    for (let i = 0; i < 10; i++)
      expect(
        (await rollback(`wrong-${i}-padding-padding-padding-pad`, { 'x-forwarded-for': '203.0.113.7' })).status,
      ).to.equal(401);
    expect(
      (await rollback('wrong-again-padding-padding-padding', { 'x-forwarded-for': '203.0.113.7' })).status,
    ).to.equal(429);
    // another client behind the same proxy still has its budget
    expect(
      (await rollback('wrong-other-padding-padding-padding', { 'x-forwarded-for': '198.51.100.9' })).status,
    ).to.equal(401);
    const ok = await signIn(TOKEN, { 'x-forwarded-for': '198.51.100.10', 'x-forwarded-proto': 'https' });
    expect(ok.status).to.equal(303);
    expect(ok.headers.get('set-cookie')).to.match(
      /^__Host-rfm_admin=[^;]+; Path=\/; Max-Age=28800; HttpOnly; SameSite=Strict; Secure$/,
    );
  });

  it('without RFM_TRUST_PROXY, X-Forwarded-* are ignored: no way to dodge the limit or fake https', async () => {
    s = await startTestServer(t.file, { adminToken: TOKEN });
    for (let i = 0; i < 10; i++)
      expect(
        (await rollback(`w-${i}-padding-padding-padding-padding`, { 'x-forwarded-for': `10.0.0.${i}` })).status,
      ).to.equal(401);
    expect((await rollback('w-x-padding-padding-padding-padding', { 'x-forwarded-for': '10.0.1.1' })).status).to.equal(
      429,
    );
  });
});

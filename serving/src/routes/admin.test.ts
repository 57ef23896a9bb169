import { expect } from 'chai';
import type { RunningServer } from '../server.js';
import { Registry } from '@rfm/registry';
import { makeArtifact } from '@rfm/shared/testing';
import {
  MODEL,
  postJson,
  startTestServer,
  tempRegistry,
  waitFor,
  type TempRegistry,
} from '../test-support/fixtures.js';

const TOKEN = 'test-admin-token-0123456789-padded-to-32+';
const customer = { recency: 10, frequency: 3, monetary: 500 };

async function register(file: string, silhouette: number, seed: number): Promise<number> {
  const reg = await Registry.open(file);
  try {
    const a = makeArtifact({
      seed,
      centroids:
        seed % 2
          ? [
              [-1, 1, 1],
              [1, -1, -1],
            ]
          : undefined,
    });
    return (
      await reg.register({ modelName: MODEL, artifact: { ...a, metrics: { ...a.metrics, silhouette } }, actor: 'test' })
    ).version;
  } finally {
    await reg.close();
  }
}

async function call(method: string, url: string, body?: unknown, token?: string) {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as any, headers: res.headers };
}

describe('admin API: the model lifecycle over HTTP', function () {
  this.timeout(30_000);
  let t: TempRegistry;
  let s: RunningServer;
  let api: string;

  before(async () => {
    t = tempRegistry();
    await register(t.file, 0.4, 2); // v1 production
    await register(t.file, 0.41, 3); // v2 good candidate
    await register(t.file, 0.1, 4); // v3 poor candidate
    s = await startTestServer(t.file, { adminToken: TOKEN, pollMs: 50 });
    api = `${s.url}/api/v1`;
  });
  after(async () => {
    await s.close();
    t.cleanup();
  });

  it('reads need no token: models, one version with its policy check, history', async () => {
    const models = await call('GET', `${api}/models`);
    expect(models.status).to.equal(200);
    expect(models.json.models[0].versions.map((v: any) => v.version)).to.deep.equal([1, 2, 3]);
    expect(models.json.models[0].aliases).to.deep.equal({ production: 1 });
    const v3 = await call('GET', `${api}/models/${MODEL}/versions/3`);
    expect(v3.json.policy_check.find((r: any) => r.rule === 'min_silhouette').passed).to.equal(false);
    const hist = await call('GET', `${api}/models/${MODEL}/history?alias=production`);
    expect(hist.json.events).to.have.length(1);
  });

  it('writes without a token or with a wrong one → 401 with WWW-Authenticate; nothing changes', async () => {
    const none = await call('POST', `${api}/models/${MODEL}/versions/2/promote`, { reason: 'x' });
    expect(none.status).to.equal(401);
    expect(none.headers.get('www-authenticate')).to.match(/^Bearer/);
    const wrong = await call(
      'POST',
      `${api}/models/${MODEL}/versions/2/promote`,
      { reason: 'x' },
      'wrong-token-wrong-token',
    );
    expect(wrong.status).to.equal(401);
    expect(wrong.json.error.code).to.equal('UNAUTHORIZED');
    expect(wrong.headers.get('www-authenticate')).to.match(/invalid_token/);
    const reg = await Registry.openReadOnly(t.file);
    expect(await reg.resolveAlias(MODEL, 'production')).to.equal(1);
    await reg.close();
  });

  it('promote through the API moves production and the server answers with the new version', async () => {
    const r = await call(
      'POST',
      `${api}/models/${MODEL}/versions/2/promote`,
      { reason: 'better silhouette', actor: 'admin' },
      TOKEN,
    );
    expect(r.status).to.equal(200);
    expect(r.json).to.include({ from: 1, to: 2, forced: false });
    await waitFor(async () => (await postJson(`${api}/predict`, customer)).json.model_version === 2, 1000);
  });

  it('the policy refuses a poor version with the same message as the CLI (422); force needs a reason and is recorded', async () => {
    const refused = await call('POST', `${api}/models/${MODEL}/versions/3/promote`, {}, TOKEN);
    expect(refused.status).to.equal(422);
    expect(refused.json.error.code).to.equal('POLICY_REFUSED');
    expect(refused.json.error.message).to.include('silhouette 0.1000 < minimum 0.2000');
    expect(refused.json.error.issues.map((i: any) => i.path)).to.deep.equal(['min_silhouette', 'max_silhouette_drop']);
    const noReason = await call('POST', `${api}/models/${MODEL}/versions/3/promote`, { force: true }, TOKEN);
    expect(noReason.status).to.equal(400);
    const forced = await call(
      'POST',
      `${api}/models/${MODEL}/versions/3/promote`,
      { force: true, reason: 'demo', actor: 'ops' },
      TOKEN,
    );
    // the token is admin's: a body naming someone else is refused, not recorded
    expect(forced.status).to.equal(400);
    expect(forced.json.error.message).to.equal(
      'actor: the token belongs to admin; leave actor out (it is taken from the token)',
    );
    const forcedAsAdmin = await call(
      'POST',
      `${api}/models/${MODEL}/versions/3/promote`,
      { force: true, reason: 'demo' },
      TOKEN,
    );
    expect(forcedAsAdmin.json).to.include({ from: 2, to: 3, forced: true });
    const reg = await Registry.openReadOnly(t.file);
    expect((await reg.history(MODEL, { alias: 'production', limit: 1 }))[0]).to.include({
      actor: 'api:admin',
      toVersion: 3,
    });
    await reg.close();
  });

  it('rollback steps back one move per call', async () => {
    expect((await call('POST', `${api}/models/${MODEL}/rollback`, { reason: 'undo force' }, TOKEN)).json).to.include({
      from: 3,
      to: 2,
    });
    expect((await call('POST', `${api}/models/${MODEL}/rollback`, { reason: 'undo' }, TOKEN)).json).to.include({
      from: 2,
      to: 1,
    });
    await waitFor(async () => (await postJson(`${api}/predict`, customer)).json.model_version === 1, 1000);
  });

  it('PUT/DELETE any alias; PUT production goes through the policy; bad bodies and ids are 400s naming the field', async () => {
    const put = await call('PUT', `${api}/models/${MODEL}/aliases/staging`, { version: 3, reason: 'try it' }, TOKEN);
    expect(put.json).to.include({ alias: 'staging', to: 3 });
    const pinned = await postJson(`${api}/predict?alias=staging`, customer);
    expect(pinned.json.model_version).to.equal(3);
    const prod = await call('PUT', `${api}/models/${MODEL}/aliases/production`, { version: 3 }, TOKEN);
    expect(prod.status).to.equal(422);
    const del = await call('DELETE', `${api}/models/${MODEL}/aliases/staging`, { reason: 'done' }, TOKEN);
    expect(del.json).to.deep.equal({ modelName: MODEL, alias: 'staging', from: 3 });
    const badVersion = await call(
      'POST',
      `${api}/models/${MODEL}/versions/1;%20DROP%20TABLE%20versions/promote`,
      {},
      TOKEN,
    );
    expect(badVersion.status).to.equal(400);
    expect(badVersion.json.error.message).to.match(/version/);
    const badBody = await call('PUT', `${api}/models/${MODEL}/aliases/staging`, { version: 'two' }, TOKEN);
    expect(badBody.status).to.equal(400);
    expect(badBody.json.error.issues[0].path).to.equal('body.version');
    const traversal = await call('GET', `${api}/models/..%2F..%2Fetc%2Fpasswd/history`);
    expect(traversal.status).to.equal(400);
    const missing = await call('GET', `${api}/models/${MODEL}/versions/99`);
    expect(missing.status).to.equal(404);
  });

  it('relabel through the API reaches the predictions on the next reload', async () => {
    const r = await call(
      'POST',
      `${api}/models/${MODEL}/versions/1/relabel`,
      { cluster: 0, name: 'Big Spenders', reason: 'marketing name' },
      TOKEN,
    );
    expect(r.status).to.equal(200);
    const hit = await waitFor(async () => {
      const batch = await postJson(`${api}/predict`, {
        instances: [{ recency: 2, frequency: 40, monetary: 20000 }, customer],
      });
      return batch.json.predictions.some((p: any) => p.segment === 'Big Spenders') ? batch.json : null;
    }, 1000);
    expect(hit.value.model_version).to.equal(1);
  });
});

describe('admin API without RFM_ADMIN_TOKEN', () => {
  it('write routes answer 403 and say how to enable them', async () => {
    const t = tempRegistry();
    await register(t.file, 0.4, 2);
    const s = await startTestServer(t.file);
    try {
      const r = await call('POST', `${s.url}/api/v1/models/${MODEL}/rollback`, {}, 'anything-anything-anything');
      expect(r.status).to.equal(403);
      expect(r.json.error.message).to.include('RFM_ADMIN_TOKEN');
    } finally {
      await s.close();
      t.cleanup();
    }
  });
});

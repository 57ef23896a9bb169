/**
 * Admin writes without the right credentials change nothing. Every admin write route of the JSON
 * API is called with every wrong way of authenticating (none, wrong or near-miss bearer tokens,
 * other schemes, the token anywhere but the Authorization header), then every admin form of the web
 * UI without a session, with a forged session and without its CSRF field: 401 or 403 each time,
 * and the registry's rows are byte-for-byte what they were.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Registry } from '@rfm/registry';
import { loadConfig } from '@rfm/shared';
import { makeArtifact } from '@rfm/shared/testing';
import { silentLogger, startServer, type RunningServer } from '@rfm/serving';
import { tempDir } from '../support.js';

const MODEL = 'customer-segments';
const TOKEN = 'auth-test-admin-token-0123456789';

/** All rows of every table (artifact bytes hashed by SQLite's length only): equal = nothing changed. */
function snapshot(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const names = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all() as string[];
    return JSON.stringify(
      names.map((n) => [
        n,
        db
          .prepare(`SELECT * FROM "${n.replaceAll('"', '""')}"`)
          .raw()
          .all()
          .map((r) => r.map((v) => (Buffer.isBuffer(v) ? `blob:${v.length}` : v))),
      ]),
    );
  } finally {
    db.close();
  }
}

const WRONG: { name: string; headers: Record<string, string>; query?: string; status: number }[] = [
  { name: 'no Authorization header', headers: {}, status: 401 },
  { name: 'empty Bearer', headers: { authorization: 'Bearer' }, status: 401 },
  {
    name: 'Basic scheme with the token',
    headers: { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` },
    status: 401,
  },
  { name: 'the token without a scheme', headers: { authorization: TOKEN }, status: 401 },
  { name: 'a wrong token', headers: { authorization: 'Bearer wrong-token-wrong-token-wrong' }, status: 401 },
  { name: 'the token plus one character', headers: { authorization: `Bearer ${TOKEN}x` }, status: 401 },
  {
    name: 'the token less its last character',
    headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
    status: 401,
  },
  { name: 'the token in upper case', headers: { authorization: `Bearer ${TOKEN.toUpperCase()}` }, status: 401 },
  { name: 'the token with two tokens', headers: { authorization: `Bearer ${TOKEN} ${TOKEN}` }, status: 401 },
  { name: 'the token in the query string', headers: {}, query: `?token=${TOKEN}&access_token=${TOKEN}`, status: 401 },
  { name: 'the token in a cookie', headers: { cookie: `token=${TOKEN}; rfm_admin=${TOKEN}` }, status: 401 },
  { name: 'the token in another header', headers: { 'x-admin-token': TOKEN, 'x-api-key': TOKEN }, status: 401 },
];

const ROUTES: [string, string, unknown][] = [
  ['POST', `/api/v1/models/${MODEL}/versions/2/promote`, { reason: 'x', force: true, token: TOKEN }],
  ['POST', `/api/v1/models/${MODEL}/rollback`, { reason: 'x' }],
  ['PUT', `/api/v1/models/${MODEL}/aliases/staging`, { version: 2 }],
  ['DELETE', `/api/v1/models/${MODEL}/aliases/challenger`, {}],
  ['POST', `/api/v1/models/${MODEL}/versions/1/relabel`, { cluster: 0, name: 'Pwned' }],
  ['POST', `/api/v1/models/${MODEL}/versions/2/archive`, {}],
];

describe('admin writes without the right credentials change nothing', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  let s: RunningServer;

  before(async () => {
    tmp = tempDir('rfm-auth-');
    file = join(tmp.dir, 'registry.db');
    const reg = await Registry.open(file);
    await reg.register({ modelName: MODEL, artifact: makeArtifact({ seed: 1 }), actor: 'setup' });
    await reg.register({ modelName: MODEL, artifact: makeArtifact({ seed: 2 }), actor: 'setup' });
    await reg.setAlias(MODEL, 'challenger', 2, { actor: 'setup', reason: '' });
    await reg.promote(MODEL, 2, { actor: 'setup', reason: 'so rollback has a target', force: true });
    await reg.close();
    s = await startServer({
      config: loadConfig({}, { registry: file, port: 0, host: '127.0.0.1', logLevel: 'silent', adminToken: TOKEN }),
      logger: silentLogger(),
      // this test makes ~100 failed attempts on purpose; the failure rate limit has its own test
      authFailures: { limit: 10_000, windowMs: 60_000 },
    });
  });
  after(async () => {
    await s?.close();
    tmp?.cleanup();
  });

  it(`JSON API: ${ROUTES.length} write routes × ${WRONG.length} wrong credentials → 401/403, nothing changed`, async () => {
    const before = snapshot(file);
    for (const [method, path, body] of ROUTES)
      for (const w of WRONG) {
        const r = await fetch(`${s.url}${path}${w.query ?? ''}`, {
          method,
          headers: { 'content-type': 'application/json', ...w.headers },
          body: JSON.stringify(body),
        });
        const json = (await r.json()) as { error: { code: string; message: string } };
        expect(r.status, `${method} ${path} with ${w.name}`).to.equal(w.status);
        expect(json.error.code).to.equal(w.status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN');
        if (w.status === 401) expect(r.headers.get('www-authenticate')).to.match(/^Bearer realm=/);
        expect(json.error.message).to.not.include(TOKEN);
      }
    expect(snapshot(file)).to.equal(before);
    // and the right token does work (the routes were reachable all along)
    const ok = await fetch(`${s.url}/api/v1/models/${MODEL}/aliases/staging`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: '{"version":1}',
    });
    expect(ok.status).to.equal(200);
  });

  it('web UI: admin forms without a session, with a forged session, or without the CSRF field → refused, nothing changed', async () => {
    const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
    const post = (path: string, fields: Record<string, string>, cookie?: string) =>
      fetch(`${s.url}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
        body: form(fields),
      });
    const before = snapshot(file);

    // sign-in with a wrong token: 401, no cookie
    const bad = await post('/admin/login', { token: 'wrong-token-wrong-token-wrong', actor: 'mallory' });
    expect(bad.status).to.equal(401);
    expect(bad.headers.get('set-cookie')).to.equal(null);

    // a real session, to forge variants of it
    const good = await post('/admin/login', { token: TOKEN, actor: 'ana' });
    expect(good.status).to.equal(303);
    const cookie = good.headers.get('set-cookie')!.split(';')[0]!;
    const [cname, cvalue] = cookie.split('=') as [string, string];
    const page = await (await fetch(`${s.url}/models/${MODEL}/2`, { headers: { cookie } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
    expect(csrf, 'the version page carries a CSRF field for a signed-in admin').to.be.a('string');

    const forged = [
      undefined,
      `${cname}=${cvalue.slice(0, -2)}AA`,
      `${cname}=${Buffer.from(JSON.stringify({ a: 'mallory', e: Date.now() + 1e9, n: 'x' })).toString('base64url')}.AAAA`,
      `${cname}=`,
    ];
    const forms: [string, Record<string, string>][] = [
      [`/models/${MODEL}/1/promote`, { reason: 'x', force: 'on' }],
      [`/models/${MODEL}/rollback`, { reason: 'x' }],
      [`/models/${MODEL}/1/relabel`, { cluster: '0', name: 'Pwned', reason: 'x' }],
    ];
    let tried = 0;
    for (const [path, fields] of forms) {
      for (const c of forged) {
        const r = await post(path, { ...fields, ...(csrf ? { csrf } : {}) }, c);
        expect(r.status, `${path} with cookie ${c ?? '(none)'}`).to.equal(401);
        tried++;
      }
      // a valid session without, or with a wrong, CSRF field
      for (const token of [undefined, 'A'.repeat(csrf!.length), `${csrf}x`]) {
        const r = await post(path, { ...fields, ...(token ? { csrf: token } : {}) }, cookie);
        expect(r.status, `${path} with csrf ${token ?? '(none)'}`).to.equal(403);
        tried++;
      }
      // from another site, even with cookie and CSRF field
      const cross = await fetch(`${s.url}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          cookie,
          'sec-fetch-site': 'cross-site',
          origin: 'https://evil.example',
        },
        body: form({ ...fields, csrf: csrf! }),
      });
      expect(cross.status, `${path} cross-site`).to.equal(403);
      tried++;
    }
    expect(tried).to.equal(forms.length * (forged.length + 4));
    expect(snapshot(file)).to.equal(before);
  });
});

import { expect } from 'chai';
import type { Request, Response } from 'express';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashToken, People, writeUsersFile } from '@rfm/shared';
import { COOKIE, readCookie, SECURE_COOKIE, sameOrigin, SessionKeeper, type SessionChange } from './session.js';

/** Just enough of express's req/res for the session keeper. */
function fakeReq(headers: Record<string, string> = {}, secure = false): Request {
  const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { headers: h, secure, get: (n: string) => h[n.toLowerCase()] } as unknown as Request;
}
function fakeRes(): Response & { cookies: string[] } {
  const cookies: string[] = [];
  return { cookies, append: (_n: string, v: string) => cookies.push(v) } as unknown as Response & { cookies: string[] };
}
const TOKEN = 'a-token-of-at-least-16-chars-padded-to-32+';

const env = { adminToken: TOKEN };

function signIn(keeper: SessionKeeper, secure = false, token = TOKEN) {
  const res = fakeRes();
  const s = keeper.start(fakeReq({}, secure), res, keeper.personFor(token)!);
  const value = /^rfm_admin=([^;]*)/.exec(res.cookies[0]!)![1]!;
  return { s, value, header: res.cookies[0]! };
}

describe('web UI admin session', () => {
  it('is a signed cookie: HttpOnly, SameSite=Strict, Path=/, 8 h; Secure only over https; never the token', () => {
    const k = new SessionKeeper(env);
    const { header, value } = signIn(k);
    expect(header).to.match(/^rfm_admin=[^;]+; Path=\/; Max-Age=28800; HttpOnly; SameSite=Strict$/);
    expect(value).to.not.include(TOKEN);
    expect(Buffer.from(value.split('.')[0]!, 'base64url').toString()).to.not.include(TOKEN);
    const secure = fakeRes();
    k.start(fakeReq({}, true), secure, k.personFor(TOKEN)!);
    expect(secure.cookies[0]).to.match(
      /^__Host-rfm_admin=[^;]+; Path=\/; Max-Age=28800; HttpOnly; SameSite=Strict; Secure$/,
    );
  });

  it('reads back a valid session with its CSRF token; any tampering, another token or expiry → none', () => {
    const k = new SessionKeeper(env);
    const { s, value } = signIn(k);
    const back = k.read(fakeReq({ cookie: `other=1; ${COOKIE}=${value}` }))!;
    expect(back).to.deep.equal(s);
    expect(k.csrfOk(back, s.csrf)).to.equal(true);
    expect(k.csrfOk(back, `${s.csrf.slice(0, -1)}x`)).to.equal(false);
    expect(k.csrfOk(back, undefined)).to.equal(false);
    const [payload, sig] = value.split('.');
    const forged = Buffer.from(JSON.stringify({ a: 'Mallory', e: 9_999_999_999, n: 'x' })).toString('base64url');
    expect(k.read(fakeReq({ cookie: `${COOKIE}=${forged}.${sig}` }))).to.equal(null);
    expect(k.read(fakeReq({ cookie: `${COOKIE}=${payload}.${sig!.slice(1)}` }))).to.equal(null);
    // another server (another key), or one where nobody called admin can sign in, refuses it
    expect(new SessionKeeper(env).read(fakeReq({ cookie: `${COOKIE}=${value}` }))).to.equal(null);
    expect(new SessionKeeper({}).read(fakeReq({ cookie: `${COOKIE}=${value}` }))).to.equal(null);
    const realNow = Date.now;
    try {
      Date.now = () => realNow() + 9 * 3600 * 1000;
      expect(k.read(fakeReq({ cookie: `${COOKIE}=${value}` }))).to.equal(null);
    } finally {
      Date.now = realNow;
    }
  });

  it('sign-out clears the cookie; nobody configured means no sessions at all', () => {
    const k = new SessionKeeper(env);
    const res = fakeRes();
    k.end(fakeReq(), res);
    expect(res.cookies[0]).to.match(/^rfm_admin=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict$/);
    expect(new SessionKeeper({}).enabled).to.equal(false);
    expect(new SessionKeeper({ readToken: 'r'.repeat(32) }).enabled).to.equal(true);
  });

  it('sign-out is real: the signed-out cookie, replayed, is refused; other sessions stay', () => {
    const k = new SessionKeeper(env);
    const a = signIn(k);
    const b = signIn(k);
    k.end(fakeReq({ cookie: `${COOKIE}=${a.value}` }), fakeRes());
    expect(k.read(fakeReq({ cookie: `${COOKIE}=${a.value}` })), 'replayed after sign-out').to.equal(null);
    expect(k.read(fakeReq({ cookie: `${COOKIE}=${b.value}` }))).to.not.equal(null);
  });

  it('"sign out everyone" voids every session issued before it; new sign-ins work', () => {
    const k = new SessionKeeper(env);
    const sessions = Array.from({ length: 5 }, () => signIn(k));
    k.signOutEveryone();
    for (const s of sessions) expect(k.read(fakeReq({ cookie: `${COOKIE}=${s.value}` }))).to.equal(null);
    const fresh = signIn(k);
    expect(k.read(fakeReq({ cookie: `${COOKIE}=${fresh.value}` }))).to.not.equal(null);
  });

  it('across workers: a sign-out or "everyone" in one process holds in the others (the primary relays changes)', () => {
    // the relay the cluster primary performs (cluster.ts): every change goes to every other keeper
    const listeners: ((c: SessionChange) => void)[] = [];
    const link = (i: number) => ({
      initial: { epoch: 'shared-epoch', revoked: [], key: 'shared-key-from-the-primary' },
      publish: (c: SessionChange) => {
        for (const [j, f] of listeners.entries()) if (j !== i) f(c);
      },
      subscribe: (f: (c: SessionChange) => void) => {
        listeners[i] = f;
      },
    });
    const w1 = new SessionKeeper(env, link(0));
    const w2 = new SessionKeeper(env, link(1));
    const s = signIn(w1);
    expect(w2.read(fakeReq({ cookie: `${COOKIE}=${s.value}` })), 'a session works on every worker').to.not.equal(null);
    w2.end(fakeReq({ cookie: `${COOKIE}=${s.value}` }), fakeRes());
    expect(
      w1.read(fakeReq({ cookie: `${COOKIE}=${s.value}` })),
      'signed out on worker 2, replayed on worker 1',
    ).to.equal(null);
    const t = signIn(w2);
    w1.signOutEveryone();
    expect(w2.read(fakeReq({ cookie: `${COOKIE}=${t.value}` }))).to.equal(null);
    // a worker started later gets the state as it is now
    const w3 = new SessionKeeper(env, { ...link(2), initial: w1.state() });
    const u = signIn(w1);
    expect(w3.read(fakeReq({ cookie: `${COOKIE}=${u.value}` }))).to.not.equal(null);
  });

  it('over https only the __Host- cookie counts; a plain rfm_admin (planted by a sibling host) is ignored', () => {
    const k = new SessionKeeper(env);
    const { value } = signIn(k);
    expect(k.read(fakeReq({ cookie: `${COOKIE}=${value}` }, true))).to.equal(null);
    expect(k.read(fakeReq({ cookie: `${SECURE_COOKIE}=${value}` }, true))).to.not.equal(null);
  });

  it('the cookie names a person of the users file: role read on every request; removed or rotated → no session', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rfm-session-'));
    try {
      const file = join(dir, 'users.json');
      const [ana, bob] = ['ana-token-'.padEnd(43, 'a'), 'bob-token-'.padEnd(43, 'b')];
      const at = new Date().toISOString();
      const entry = (name: string, role: 'viewer' | 'admin', token: string) => ({
        name,
        role,
        token_sha256: hashToken(token),
        created: at,
        rotated: null,
      });
      writeUsersFile(file, [entry('ana', 'viewer', ana), entry('bob', 'admin', bob)]);
      const k = new SessionKeeper(new People({ file }));
      const a = signIn(k, false, ana);
      const b = signIn(k, false, bob);
      expect(a.s).to.include({ actor: 'ana', role: 'viewer' });
      expect(Buffer.from(a.value.split('.')[0]!, 'base64url').toString()).to.not.include(hashToken(ana));
      expect(k.read(fakeReq({ cookie: `${COOKIE}=${b.value}` }))).to.include({ actor: 'bob', role: 'admin' });
      // bob's token rotated, ana removed: both sessions end without a restart
      writeUsersFile(file, [entry('bob', 'admin', 'bob-new-token-'.padEnd(43, 'c'))]);
      expect(k.read(fakeReq({ cookie: `${COOKIE}=${a.value}` })), 'removed').to.equal(null);
      expect(k.read(fakeReq({ cookie: `${COOKIE}=${b.value}` })), 'rotated').to.equal(null);
      expect(k.personFor(bob), 'old token').to.equal(null);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('origin check: Sec-Fetch-Site must say same-origin; else a non-null Origin must be this host', () => {
    expect(sameOrigin(fakeReq({ 'sec-fetch-site': 'same-origin', host: 'a:1' }))).to.equal(true);
    expect(sameOrigin(fakeReq({ 'sec-fetch-site': 'cross-site', host: 'a:1' }))).to.equal(false);
    expect(sameOrigin(fakeReq({ 'sec-fetch-site': 'same-site', host: 'a:1' }))).to.equal(false);
    expect(sameOrigin(fakeReq({ origin: 'http://a:1', host: 'a:1' }))).to.equal(true);
    expect(sameOrigin(fakeReq({ origin: 'http://evil:1', host: 'a:1' }))).to.equal(false);
    expect(sameOrigin(fakeReq({ origin: 'null', host: 'a:1' }))).to.equal(true); // no-referrer pages; CSRF field decides
    expect(sameOrigin(fakeReq({ host: 'a:1' }))).to.equal(true);
  });

  it('readCookie finds one cookie among several', () => {
    expect(readCookie('a=1; rfm_admin=x.y; b=2', 'rfm_admin')).to.equal('x.y');
    expect(readCookie('a=1', 'rfm_admin')).to.equal(null);
    expect(readCookie(undefined, 'rfm_admin')).to.equal(null);
  });
});

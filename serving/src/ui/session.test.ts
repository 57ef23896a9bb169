import { expect } from 'chai';
import type { Request, Response } from 'express';
import { COOKIE, readCookie, sameOrigin, SessionKeeper } from './session.js';

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

function signIn(keeper: SessionKeeper, secure = false) {
  const res = fakeRes();
  const s = keeper.start(fakeReq({}, secure), res, 'Dana');
  const value = /^rfm_admin=([^;]*)/.exec(res.cookies[0]!)![1]!;
  return { s, value, header: res.cookies[0]! };
}

describe('web UI admin session', () => {
  it('is a signed cookie: HttpOnly, SameSite=Strict, Path=/, 8 h; Secure only over https; never the token', () => {
    const k = new SessionKeeper(TOKEN);
    const { header, value } = signIn(k);
    expect(header).to.match(/^rfm_admin=[^;]+; Path=\/; Max-Age=28800; HttpOnly; SameSite=Strict$/);
    expect(value).to.not.include(TOKEN);
    expect(Buffer.from(value.split('.')[0]!, 'base64url').toString()).to.not.include(TOKEN);
    expect(signIn(k, true).header).to.match(/; Secure$/);
  });

  it('reads back a valid session with its CSRF token; any tampering, another token or expiry → none', () => {
    const k = new SessionKeeper(TOKEN);
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
    expect(new SessionKeeper('another-token-16-chars-long').read(fakeReq({ cookie: `${COOKIE}=${value}` }))).to.equal(
      null,
    );
    expect(new SessionKeeper(undefined).read(fakeReq({ cookie: `${COOKIE}=${value}` }))).to.equal(null);
    const realNow = Date.now;
    try {
      Date.now = () => realNow() + 9 * 3600 * 1000;
      expect(k.read(fakeReq({ cookie: `${COOKIE}=${value}` }))).to.equal(null);
    } finally {
      Date.now = realNow;
    }
  });

  it('sign-out clears the cookie; no admin token means no sessions at all', () => {
    const k = new SessionKeeper(TOKEN);
    const res = fakeRes();
    k.end(fakeReq(), res);
    expect(res.cookies[0]).to.match(/^rfm_admin=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict$/);
    expect(new SessionKeeper(undefined).enabled).to.equal(false);
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

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Person, Role } from '@rfm/shared';
import { type AuthSource, peopleFor } from '../middleware/people.js';

/**
 * The web UI's session: a signed cookie naming a person, plus a little server-side state, so
 * sign-out really ends it.
 *
 * After a person types their token (resolved to a named person with a role by the users
 * directory, middleware/people.ts), the server sets
 * `rfm_admin = base64url(JSON {name, token key, expires, nonce, epoch}) "." HMAC-SHA256(key, payload)`,
 * where the key is random per server start (shared by every worker through the cluster primary).
 * The cookie never holds the token itself; it is HttpOnly (no script can read it), SameSite=Strict
 * (never sent on a cross-site request), Path=/, expires after 8 hours, and is Secure whenever the
 * request came over https (on plain-http localhost a Secure cookie would be dropped, so it is not
 * set there). Every request looks the person up again by name: once `rfm users remove NAME` has
 * taken them out of the users file, or `rfm users rotate NAME` has changed their token (the cookie's
 * token key is the first 16 hex digits of the token's sha256), their session stops working. Their
 * role is read then too, never from the cookie.
 *
 * Server-side state makes sign-out real: a signed-out session's nonce is revoked (kept until the
 * cookie would have expired anyway), and "sign out everyone" replaces the session epoch every
 * cookie carries. Across `--workers` the cluster primary relays both to every worker (SessionSync)
 * and hands the current state to workers it starts. The epoch is random per start, so restarting
 * the server also signs everyone out; replicas behind a load balancer therefore need sticky
 * sessions (or one process).
 *
 * Over https the cookie is `__Host-rfm_admin`: browsers accept that name only with Secure, Path=/
 * and no Domain, so a sibling subdomain cannot plant or overwrite it. Plain-http localhost keeps
 * `rfm_admin` (a Secure cookie would be dropped there). Behind a TLS-terminating proxy, set
 * RFM_TRUST_PROXY so the server knows the request was https.
 *
 * CSRF: every admin form carries a hidden `csrf` field = HMAC(key, "csrf:" + nonce), checked in
 * constant time; together with SameSite=Strict and an Origin check, a page on another site can
 * neither post with the cookie nor know the field.
 */
export const COOKIE = 'rfm_admin';
export const SECURE_COOKIE = '__Host-rfm_admin';

/** Session state shared between processes: the current epoch and revoked nonces (with their expiry). */
export interface SessionState {
  epoch: string;
  /** the cookie signing key (base64url), random per start; absent: each process makes its own */
  key?: string;
  revoked: [nonce: string, expires: number][];
}
export type SessionChange = { op: 'revoke'; nonce: string; expires: number } | { op: 'epoch'; epoch: string };
/** How a keeper tells the other processes of a change (cluster: through the primary). */
export interface SessionSync {
  /** initial state (a worker started by the primary gets the primary's current one) */
  initial?: SessionState;
  publish(change: SessionChange): void;
  subscribe(apply: (change: SessionChange) => void): void;
}
const TTL_S = 8 * 60 * 60;

/** A signed-in person (the name is kept as `actor`, what pages and the audit trail use). */
export interface AdminSession {
  actor: string;
  role: Role;
  expires: number;
  nonce: string;
  csrf: string;
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export class SessionKeeper {
  private readonly key: Buffer;
  private readonly people: ReturnType<typeof peopleFor>;
  private epoch: string;
  private readonly revoked = new Map<string, number>();
  private readonly sync: SessionSync | undefined;
  constructor(people: AuthSource, sync?: SessionSync) {
    this.people = peopleFor(people);
    const secret = sync?.initial?.key ? Buffer.from(sync.initial.key, 'base64url') : randomBytes(32);
    this.key = createHmac('sha256', secret).update('rfm-ui-session-v2').digest();
    this.sync = sync;
    this.epoch = sync?.initial?.epoch ?? newEpoch();
    for (const [n, e] of sync?.initial?.revoked ?? []) this.revoked.set(n, e);
    sync?.subscribe((c) => this.apply(c));
  }

  /** The state a newly started process should begin with. */
  state(): SessionState {
    this.prune();
    return {
      epoch: this.epoch,
      revoked: [...this.revoked],
      ...(this.sync?.initial?.key ? { key: this.sync.initial.key } : {}),
    };
  }

  private apply(c: SessionChange): void {
    if (c.op === 'epoch') {
      this.epoch = c.epoch;
      this.revoked.clear(); // every older session is void anyway
    } else this.revoked.set(c.nonce, c.expires);
  }

  private change(c: SessionChange): void {
    this.apply(c);
    this.sync?.publish(c);
  }

  private prune(): void {
    const now = Date.now() / 1000;
    for (const [n, e] of this.revoked) if (e <= now) this.revoked.delete(n);
  }

  /** "Sign out everyone": every session issued so far stops working, in every process. */
  signOutEveryone(): void {
    this.change({ op: 'epoch', epoch: newEpoch() });
  }

  /** false when nobody can sign in (no users file, no env token): the UI then offers no sign-in at all. */
  get enabled(): boolean {
    return this.people.anyone;
  }

  /** The person holding `token` (the sign-in form), or null. */
  personFor(token: string): Person | null {
    return this.people.byToken(token);
  }

  private mac(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }

  /** The valid session this request carries (its person still in the users file, same token), or null. */
  read(req: Request): AdminSession | null {
    // over https only the __Host- cookie counts: a plain one may have been planted by a sibling host
    const raw = readCookie(req.headers.cookie, req.secure ? SECURE_COOKIE : COOKIE);
    if (!raw) return null;
    const dot = raw.indexOf('.');
    if (dot < 1) return null;
    const payload = raw.slice(0, dot);
    const sig = Buffer.from(raw.slice(dot + 1), 'base64url');
    const want = Buffer.from(this.mac(payload), 'base64url');
    if (sig.length !== want.length || !timingSafeEqual(sig, want)) return null;
    let p: unknown;
    try {
      p = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    const o = p as { a?: unknown; k?: unknown; e?: unknown; n?: unknown; p?: unknown };
    if (typeof o.a !== 'string' || typeof o.e !== 'number' || typeof o.n !== 'string') return null;
    if (o.e * 1000 <= Date.now()) return null;
    if (o.p !== this.epoch || this.revoked.has(o.n)) return null; // signed out (this one, or everyone)
    const person = this.people.byName(o.a);
    if (!person || person.key !== o.k) return null; // removed from the users file, or their token rotated
    return { actor: person.name, role: person.role, expires: o.e, nonce: o.n, csrf: this.mac(`csrf:${o.n}`) };
  }

  /** Start a session for `person` (their token has just been checked). */
  start(req: Request, res: Response, person: Person): AdminSession {
    const nonce = randomBytes(16).toString('base64url');
    const expires = Math.floor(Date.now() / 1000) + TTL_S;
    const payload = b64(JSON.stringify({ a: person.name, k: person.key, e: expires, n: nonce, p: this.epoch }));
    res.append('set-cookie', serialize(`${payload}.${this.mac(payload)}`, TTL_S, req.secure));
    return { actor: person.name, role: person.role, expires, nonce, csrf: this.mac(`csrf:${nonce}`) };
  }

  /** Sign out: the browser drops the cookie, and the server refuses it even if it is replayed. */
  end(req: Request, res: Response): void {
    const s = this.read(req);
    if (s) {
      this.prune();
      this.change({ op: 'revoke', nonce: s.nonce, expires: s.expires });
    }
    res.append('set-cookie', serialize('', 0, req.secure));
  }

  /** Constant-time check of the hidden form field against the session's CSRF token. */
  csrfOk(session: AdminSession, given: unknown): boolean {
    if (typeof given !== 'string' || given.length === 0 || given.length > 200) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(session.csrf);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

const newEpoch = () => randomBytes(9).toString('base64url');

function serialize(value: string, maxAge: number, secure: boolean): string {
  return [
    `${secure ? SECURE_COOKIE : COOKIE}=${value}`,
    'Path=/',
    `Max-Age=${maxAge}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * Defence in depth on top of SameSite=Strict and the CSRF field: refuse a form that a browser says
 * came from another site. Browsers send `Sec-Fetch-Site` (same-origin for our own forms); older
 * ones send `Origin`, which is "null" here because pages use `Referrer-Policy: no-referrer`.
 * Requests with neither (curl, scripts) rely on the cookie and the CSRF field alone.
 */
export function sameOrigin(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site) return site === 'same-origin';
  const origin = req.get('origin');
  if (!origin || origin === 'null') return true;
  try {
    return new URL(origin).host === req.get('host');
  } catch {
    return false;
  }
}

/** Whether this person may cancel this run: an admin, or whoever started it (from the web or the API). */
export function mayCancel(s: { actor: string; role: Role }, job: { createdBy: string }): boolean {
  return s.role === 'admin' || job.createdBy === `web:${s.actor}` || job.createdBy === `api:${s.actor}`;
}

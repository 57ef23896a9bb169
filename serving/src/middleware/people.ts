import type { Request, RequestHandler, Response } from 'express';
import { hashToken, People, RfmError, type Config, type Person, type Role, roleAllows } from '@rfm/shared';
import type { Logger } from '../logger.js';
import { withoutCustomerId } from './request-context.js';

/**
 * Who is calling (issue 18). Every bearer token resolves to a named person with a role, through one
 * `People` directory per configuration: the users file (RFM_USERS) and the env tokens
 * (RFM_ADMIN_TOKEN = admin `admin`, RFM_READ_TOKEN = viewer `reader`). Guards take either that
 * directory or the server's config (the same directory is found for equal settings), so the routes'
 * `requireAdmin(config)` / `requireRunsAccess(config, …)` need nothing else passed around.
 */
export type AuthConfig = Partial<Pick<Config, 'adminToken' | 'readToken' | 'users'>>;
export type AuthSource = People | AuthConfig;

const directories = new Map<string, People>();

/** The directory for these settings (one per distinct users file and tokens, built on first use). */
export function peopleFor(src: AuthSource, onProblem?: (e: RfmError) => void): People {
  if (src instanceof People) return src;
  // the map key holds digests, not the tokens themselves
  const key = [
    src.users ?? '',
    src.adminToken ? hashToken(src.adminToken) : '',
    src.readToken ? hashToken(src.readToken) : '',
  ].join('\0');
  let p = directories.get(key);
  if (!p) {
    p = new People({
      file: src.users,
      adminToken: src.adminToken,
      readToken: src.readToken,
      ...(onProblem ? { onProblem } : {}),
    });
    directories.set(key, p);
  }
  return p;
}

/** The person a guard let through (set on res.locals by requireRole). */
export function personOf(res: Response): Person {
  const p = res.locals.person as Person | undefined;
  if (!p) throw new RfmError('INTERNAL', 'route has no authentication guard');
  return p;
}

/** "api:ana": what the audit trail records for a change made through the JSON API. */
export const apiActor = (res: Response) => `api:${personOf(res).name}`;

export interface GuardWords {
  /** what the route is, in messages ("admin route", "scoring runs") */
  what: string;
  /** the realm of the WWW-Authenticate challenge */
  realm: string;
  /** the 403 when nobody can authenticate to this server */
  disabled: string;
}

/**
 * The guard every authenticated API route uses: no or malformed header → 401; a token that is no
 * one's → 401 (both count toward the failed-token rate limit); a person without `need` → 403 naming
 * the role needed (not counted: it is no guess); nobody configured → 403 saying how to enable it.
 */
export function requireRole(src: AuthSource, need: Role, words: GuardWords): RequestHandler {
  const people = peopleFor(src);
  return (req, res, next) => {
    if (!people.anyone) return next(new RfmError('FORBIDDEN', words.disabled));
    const token = bearer(req);
    if (!token) {
      res.set('www-authenticate', `Bearer realm="${words.realm}"`);
      return next(new RfmError('UNAUTHORIZED', `${words.what}: send "Authorization: Bearer <token>"`));
    }
    const person = people.byToken(token);
    if (!person) {
      logRefusal(req, res, UNKNOWN_TOKEN);
      res.set('www-authenticate', `Bearer realm="${words.realm}", error="invalid_token"`);
      return next(new RfmError('UNAUTHORIZED', `${words.what}: the bearer token is not valid`));
    }
    res.locals.person = person;
    if (!roleAllows(person.role, need)) {
      logRefusal(req, res, person.name, { role: person.role, need });
      return next(
        new RfmError(
          'FORBIDDEN',
          `this needs the ${need} role; ${person.name} is a ${person.role}: nothing was changed`,
          {
            details: { need, role: person.role },
          },
        ),
      );
    }
    next();
  };
}

/** Who a refusal names in the log when the token is no one's: never the token, nor its hash. */
export const UNKNOWN_TOKEN = 'unknown token';

/**
 * One warn line per refused credential (a token that is no one's, or a person without the role),
 * naming the person or "unknown token" and nothing of the token: failed guesses are visible to
 * whoever watches the log, and the rate limit caps how many there can be.
 */
export function logRefusal(req: Request, res: Response, who: string, more: { role?: Role; need?: Role } = {}): void {
  (res.locals.log as Logger | undefined)?.warn(
    { who, ...more, method: req.method, path: withoutCustomerId(req.path) },
    who === UNKNOWN_TOKEN ? 'refused: unknown token' : `refused: ${who} lacks the ${more.need ?? 'needed'} role`,
  );
}

export function bearer(req: Request): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
  return m ? m[1]! : null;
}

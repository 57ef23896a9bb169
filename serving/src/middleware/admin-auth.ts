import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { RfmError } from '@rfm/shared';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Bearer-token guard for admin writes. No token configured → 403 saying how to enable them;
 * no or malformed header → 401; wrong token → 403. Comparison is constant-time on digests, so
 * neither the token nor its length leaks through timing.
 */
export function requireAdmin(token: string | undefined): RequestHandler {
  const expected = token ? digest(token) : null;
  return (req, res, next) => {
    if (!expected)
      return next(
        new RfmError(
          'FORBIDDEN',
          'admin write routes are disabled: start the server with RFM_ADMIN_TOKEN set (at least 32 characters; `rfm token` prints one)' +
            ' and send it as "Authorization: Bearer <token>"',
        ),
      );
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) {
      res.set('www-authenticate', 'Bearer realm="rfm-admin"');
      return next(new RfmError('UNAUTHORIZED', 'admin route: send "Authorization: Bearer <token>"'));
    }
    if (!timingSafeEqual(digest(m[1]!), expected))
      return next(new RfmError('FORBIDDEN', 'admin route: the bearer token is not valid'));
    next();
  };
}

/** Same check for code paths that are not middleware (e.g. a cookie from the web UI). */
export function tokenMatches(token: string | undefined, candidate: string | undefined): boolean {
  if (!token || !candidate) return false;
  return timingSafeEqual(digest(candidate), digest(token));
}

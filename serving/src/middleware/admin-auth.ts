import type { RequestHandler } from 'express';
import { type AuthSource, requireRole } from './people.js';

/**
 * Bearer-token guard for admin writes: the token must be a person with the admin role (users file
 * or RFM_ADMIN_TOKEN). Nobody configured → 403 saying how to enable them; no header or an unknown
 * token → 401; a viewer → 403 naming the role needed. Tokens are compared as sha256 digests in
 * constant time (people.ts), so neither a token nor its length leaks through timing.
 */
export function requireAdmin(src: AuthSource): RequestHandler {
  return requireRole(src, 'admin', {
    what: 'admin route',
    realm: 'rfm-admin',
    disabled:
      'admin write routes are disabled: start the server with RFM_USERS (rfm users add NAME --role admin) or RFM_ADMIN_TOKEN set' +
      ' (at least 32 characters; `rfm token` prints one) and send the token as "Authorization: Bearer <token>"',
  });
}

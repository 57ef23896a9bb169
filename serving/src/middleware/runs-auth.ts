import type { RequestHandler } from 'express';
import { RfmError } from '@rfm/shared';
import { tokenMatches } from './admin-auth.js';

/**
 * Scoring runs carry customer-level data (personal data): nothing of them is ever served
 * anonymously. Reads take the admin token or the read token (RFM_READ_TOKEN); starting,
 * cancelling and deleting runs take the admin token. No header → 401; a wrong token, or the read
 * token on a write, or no token configured at all → 403 saying why. Constant-time comparisons.
 */
export function requireRunsAccess(
  tokens: { adminToken?: string | undefined; readToken?: string | undefined },
  need: 'read' | 'write',
): RequestHandler {
  return (req, res, next) => {
    if (!tokens.adminToken && !(need === 'read' && tokens.readToken))
      return next(
        new RfmError(
          'FORBIDDEN',
          need === 'read'
            ? 'scoring runs are disabled: start the server with RFM_ADMIN_TOKEN or RFM_READ_TOKEN set (at least 32 characters) ' +
                'and send it as "Authorization: Bearer <token>"'
            : 'starting or deleting scoring runs needs RFM_ADMIN_TOKEN set on the server (at least 32 characters), sent as "Authorization: Bearer <token>"',
        ),
      );
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!m) {
      res.set('www-authenticate', 'Bearer realm="rfm-runs"');
      return next(new RfmError('UNAUTHORIZED', 'scoring runs: send "Authorization: Bearer <token>"'));
    }
    if (tokenMatches(tokens.adminToken, m[1])) return next();
    if (tokenMatches(tokens.readToken, m[1]))
      return need === 'read'
        ? next()
        : next(
            new RfmError(
              'FORBIDDEN',
              'the read token only reads runs; starting, cancelling or deleting one needs the admin token',
            ),
          );
    next(new RfmError('FORBIDDEN', 'scoring runs: the bearer token is not valid'));
  };
}

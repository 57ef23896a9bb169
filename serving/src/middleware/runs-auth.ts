import type { RequestHandler } from 'express';
import { type AuthSource, requireRole } from './people.js';

/**
 * Scoring runs carry customer-level data (personal data): nothing of them is ever served
 * anonymously. 'read' (list, status, customers, diff) and 'score' (start a run) take any named
 * person — the viewer role; 'write' (cancel, delete) takes the admin role. No header or an unknown
 * token → 401; a viewer on a write → 403 naming the role; nobody configured → 403 saying why.
 */
export function requireRunsAccess(src: AuthSource, need: 'read' | 'score' | 'write'): RequestHandler {
  return requireRole(src, need === 'write' ? 'admin' : 'viewer', {
    what: 'scoring runs',
    realm: 'rfm-runs',
    disabled:
      need === 'write'
        ? 'cancelling or deleting scoring runs needs a person with the admin role: start the server with RFM_USERS or RFM_ADMIN_TOKEN set'
        : 'scoring runs are disabled: start the server with RFM_USERS, RFM_ADMIN_TOKEN or RFM_READ_TOKEN set ' +
          '(tokens at least 32 characters) and send the token as "Authorization: Bearer <token>"',
  });
}

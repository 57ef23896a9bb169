import { availableParallelism } from 'node:os';
import type { Request, RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { RfmError } from '@rfm/shared';

/** Failed admin authentications a client may make per window, in total over all worker processes. */
export const AUTH_FAILURES = { limit: 10, windowMs: 15 * 60_000 };

/**
 * How many of the total one worker may allow. `rfm serve --workers N` runs N processes, each with
 * its own memory, and the kernel hands a client's connections to any of them; a shared store would
 * need a server (Redis) this deployment does not have. So each worker gets floor(total / N): even
 * if every attempt of a client landed on a different worker, the sum over workers never exceeds
 * the total (with 10 and 4 workers a client gets at most 8, never 11). With more workers than the
 * total, each still allows one try (or nobody could sign in), so the bound is then one per worker.
 */
export function perWorkerLimit(total: number, workers: number | 'auto'): number {
  const n = workers === 'auto' ? availableParallelism() : workers;
  return Math.max(1, Math.floor(total / Math.max(1, n)));
}

/** Requests that present admin credentials: the sign-in form, admin forms, admin API writes, scoring runs. */
function presentsCredentials(req: Request): boolean {
  // every scoring-runs route needs a token, reads included (customer-level data): guesses count there too
  // the same for one customer's lookup and erasure (personal data)
  if (req.path.startsWith('/api/v1/runs') || req.path.startsWith('/api/v1/customers/')) return true;
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return false;
  const p = req.path;
  return p === '/admin/login' || p.startsWith('/api/v1/models') || p.startsWith('/models/');
}

/**
 * Rate limit on failed admin authentication, per client address (with `trust proxy` configured,
 * the address the proxy reports). Only answers 401 and 403 count (not a 403 for a role: the token was right); a client over its budget gets
 * 429 with Retry-After for every credentialed request until the window ends, right token or not,
 * so guessing is capped at `limit` tries per window. Predictions and pages are never limited here.
 */
export function authFailureLimiter(o: { limit: number; windowMs: number }): RequestHandler {
  return rateLimit({
    windowMs: o.windowMs,
    limit: o.limit,
    standardHeaders: false,
    legacyHeaders: false,
    // X-Forwarded-For without `trust proxy` is expected (no RFM_TRUST_PROXY): it is ignored on
    // purpose, and the library's warning would only fill the log
    validate: { xForwardedForHeader: false },
    skip: (req) => !presentsCredentials(req),
    skipSuccessfulRequests: true,
    // a 403 to a person the token named (a viewer asking for an admin action) is no guess: not counted
    requestWasSuccessful: (_req, res) =>
      res.statusCode !== 401 && !(res.statusCode === 403 && res.locals.person === undefined),
    handler: (req, res, next) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + o.windowMs) - Date.now()) / 1000));
      res.set('retry-after', String(seconds));
      next(
        new RfmError(
          'RATE_LIMITED',
          `too many failed admin sign-ins or tokens from this address; try again in ${Math.ceil(seconds / 60)} minute(s)`,
        ),
      );
    },
  });
}

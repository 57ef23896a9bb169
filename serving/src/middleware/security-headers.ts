import type { RequestHandler } from 'express';
import { STYLE_HASH } from '../views/layout.js';

/**
 * The handful of headers this app needs (no scripts, no frames, one inline stylesheet allowed by
 * hash); a dependency such as helmet would add more knobs than we use.
 */
export function securityHeaders(): RequestHandler {
  const csp = [
    "default-src 'none'",
    `style-src ${STYLE_HASH}`,
    "img-src 'self' data:",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return (_req, res, next) => {
    res.setHeader('content-security-policy', csp);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('cross-origin-opener-policy', 'same-origin');
    res.setHeader('cross-origin-resource-policy', 'same-origin');
    next();
  };
}

import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Security headers through helmet, configured to what this app needs: scripts, styles and fetches
 * from this origin only (the web UI's files under /assets/, nothing inline), no frames, no plugins,
 * forms posting to ourselves only. Everything else is helmet's defaults (nosniff, no-referrer, same-origin COOP/CORP,
 * Origin-Agent-Cluster, HSTS — ignored by browsers over plain HTTP). The header values are built
 * once; each response only copies them.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        connectSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  }) as RequestHandler;
}

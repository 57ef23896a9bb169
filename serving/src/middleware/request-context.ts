import type { Request, RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import { newRequestId } from '../request-id.js';

// A caller's id is echoed only if it is short and plain, so it cannot inject into headers or logs.
export const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface RequestLocals {
  requestId: string;
  log: Logger;
}

/**
 * A request's res.locals: its id, and its logger, made on first use (most requests never log, and
 * a pino child costs µs). The lazy logger is a getter on this class's prototype, not an accessor
 * defined on each request's locals: that Object.defineProperty left about 4 kB per request to be
 * promoted to the old generation (`--trace-gc-nvp`, promoted bytes under wrk), i.e. longer and
 * more frequent young-generation pauses, the tail of every route.
 */
class Locals implements RequestLocals {
  #child: Logger | undefined;
  readonly #parent: Logger;
  constructor(
    public requestId: string,
    parent: Logger,
  ) {
    this.#parent = parent;
  }
  get log(): Logger {
    this.#child ??= this.#parent.child({ req_id: this.requestId });
    return this.#child;
  }
  set log(v: Logger) {
    this.#child = v;
  }
}

/**
 * Request id (honours `x-request-id` when sane, else a new one: request-id.ts), echoed in the response, and
 * a child logger carrying it. One line per request at debug only: at info, a busy scoring server
 * would log every prediction.
 */
export function requestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const given = req.get('x-request-id');
    const requestId = given && SANE_ID.test(given) ? given : newRequestId();
    res.setHeader('x-request-id', requestId);
    res.locals = Object.assign(new Locals(requestId, logger), res.locals);
    if (logger.isLevelEnabled('debug')) {
      const log = res.locals.log as Logger;
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        log.debug(
          {
            method: req.method,
            path: loggedPath(req),
            status: res.statusCode,
            ms: Math.round(ms * 100) / 100,
          },
          'request',
        );
      });
    }
    next();
  };
}

/**
 * The path a log line shows: the whole path as the client sent it (req.path is relative to the
 * router a request ended in, e.g. "/customers/…" at finish), without a customer id, never the query.
 */
export function loggedPath(req: Request): string {
  const url = req.originalUrl ?? req.url;
  const q = url.indexOf('?');
  return withoutCustomerId(q < 0 ? url : url.slice(0, q));
}

/** A customer id is personal data: the lookup and erasure paths are logged without it. */
export function withoutCustomerId(path: string): string {
  return path.replace(/^(\/api\/v1\/customers\/)[^/]+/, '$1:cid');
}

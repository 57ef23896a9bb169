import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { MAX_BATCH, RfmError, isRfmError, type RfmErrorCode } from '@rfm/shared';
import type { Logger } from '../logger.js';
import { loggedPath } from './request-context.js';
import { messagePage } from '../views/layout.js';

/** body-parser / http-errors fields we read (they are plain Errors with extra properties). */
interface HttpLikeError {
  type?: unknown;
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  limit?: unknown;
  message?: unknown;
}

function bytes(n: unknown): string {
  if (typeof n !== 'number') return 'the size limit';
  return n >= 1024 * 1024
    ? `${+(n / 1024 / 1024).toFixed(1)} MB`
    : n >= 1024
      ? `${+(n / 1024).toFixed(1)} kB`
      : `${n} bytes`;
}

/** Errors express and body-parser raise while reading a request → our codes and clear messages. */
function fromHttpError(e: HttpLikeError): RfmError | null {
  const message = typeof e.message === 'string' ? e.message : '';
  switch (e.type) {
    case 'entity.too.large':
      return new RfmError(
        'PAYLOAD_TOO_LARGE',
        `request body is larger than ${bytes(e.limit)}; split it into requests of at most ${MAX_BATCH} customers`,
      );
    case 'parameters.too.many':
      return new RfmError('PAYLOAD_TOO_LARGE', 'too many form fields');
    case 'entity.parse.failed':
      return new RfmError('INVALID_INPUT', `body is not valid JSON: ${message.slice(0, 200)}`, {
        issues: [{ path: '(body)', message: 'not valid JSON' }],
      });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new RfmError('UNSUPPORTED', `${message.slice(0, 200)}; send UTF-8`);
    case 'request.aborted':
      return new RfmError('INVALID_INPUT', 'request aborted by the client before the body was complete');
    case 'request.size.invalid':
      return new RfmError('INVALID_INPUT', 'request body length does not match its content-length header');
  }
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 0;
  // express's router: a path parameter that is not valid percent-encoding (URIError, not exposed)
  if (status === 400 && e instanceof URIError)
    return new RfmError(
      'INVALID_INPUT',
      `URL path is not valid percent-encoding: ${message.replace(/^Failed to decode param /, '').slice(0, 120)}`,
      { issues: [{ path: '(url)', message: 'invalid percent-encoding' }] },
    );
  if (status >= 400 && status < 500) {
    const code: RfmErrorCode =
      status === 404
        ? 'NOT_FOUND'
        : status === 413
          ? 'PAYLOAD_TOO_LARGE'
          : status === 415
            ? 'UNSUPPORTED'
            : 'INVALID_INPUT';
    return new RfmError(code, e.expose === true && message ? message.slice(0, 200) : 'bad request');
  }
  return null;
}

/** Anything thrown → RfmError. Unknown errors become INTERNAL and keep their cause for the log. */
export function toHttpError(err: unknown): RfmError {
  if (isRfmError(err)) return err;
  if (typeof err === 'object' && err !== null) {
    const mapped = fromHttpError(err as HttpLikeError);
    if (mapped) return mapped;
  }
  return new RfmError('INTERNAL', 'internal error', { cause: err });
}

/** Browsers navigating to a page get HTML; API paths and machines always get JSON. */
export function wantsHtml(req: Request): boolean {
  return !req.path.startsWith('/api/') && req.accepts(['json', 'html']) === 'html';
}

/** The one place errors become responses: status from ERROR_CODES, body from toJSON(), no stacks. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err); // express closes the connection
    let e = toHttpError(err);
    // res.locals.log makes a pino child on first use: only when a line is written (a 404 lookup at info writes none)
    const log = (): Logger => res.locals.log ?? logger;
    // the path of a lookup or erasure holds the customer id: personal data, never logged
    const path = loggedPath(req);
    if (e.httpStatus >= 500 && e.code !== 'MODEL_UNAVAILABLE') {
      log().error(
        { err: (e.cause as Error | undefined) ?? e, code: e.code, method: req.method, path },
        `request failed: ${e.message}`,
      );
      // Registry paths and internals stay in the log; the client learns only the kind of failure.
      if (e.code !== 'INTERNAL') e = new RfmError(e.code, 'the model registry could not be read; see the server log');
    } else if (logger.isLevelEnabled('debug')) {
      log().debug({ code: e.code, status: e.httpStatus, path }, e.message);
    }
    res.status(e.httpStatus);
    // 503s that say when to come back (busy, not broken): the header clients and proxies read
    const retry = e.details?.retry_after_s;
    if (e.httpStatus === 503 && typeof retry === 'number') res.set('retry-after', String(retry));
    if (wantsHtml(req))
      res.type('html').send(messagePage(e.httpStatus === 404 ? 'Page not found' : 'Something went wrong', e.message));
    else res.json(e.toJSON());
  };
}

/** Unknown routes: 404 in the same shape as every other error. */
export function notFound(): RequestHandler {
  return (req, _res, next) => next(new RfmError('NOT_FOUND', `no route ${req.method} ${req.path.slice(0, 200)}`));
}

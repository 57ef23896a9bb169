import express, { type Request, type RequestHandler } from 'express';
import { RfmError } from '@rfm/shared';

/** The content types the JSON routes read (the scoring fast path takes only plain UTF-8 application/json). */
export const JSON_TYPES = ['application/json', 'application/*+json'];

/** Whether the request carries a body at all (chunked, or a non-zero content-length). */
export function hasBody(req: Request): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

/** 415 naming the content type that came instead of JSON. */
export function notJson(req: Request): RfmError {
  return new RfmError(
    'UNSUPPORTED',
    `content-type must be application/json, got ${(req.get('content-type') ?? 'none').slice(0, 100)}`,
  );
}

/**
 * A required JSON body: says what is wrong (empty, not JSON) before the JSON parser silently skips a
 * body it does not recognise, then parses it. `hint` says what to send.
 */
export function requireJsonBody(hint: string, limit: string): RequestHandler[] {
  return [
    (req, _res, next) => {
      if (!hasBody(req))
        return next(
          new RfmError('INVALID_INPUT', `request body is empty: send ${hint}`, {
            issues: [{ path: '(body)', message: 'empty' }],
          }),
        );
      next(req.is(JSON_TYPES) ? undefined : notJson(req));
    },
    express.json({ limit, type: JSON_TYPES, strict: true }),
  ];
}

/**
 * An optional JSON body (admin writes: rollback needs none): a body that is sent must be JSON, since
 * another type would be skipped by the parser and the request carried out without its fields.
 */
export function optionalJsonBody(limit: string): RequestHandler[] {
  return [
    (req, _res, next) => next(hasBody(req) && !req.is(JSON_TYPES) ? notJson(req) : undefined),
    express.json({ limit, type: JSON_TYPES }),
  ];
}

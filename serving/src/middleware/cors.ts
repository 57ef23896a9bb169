import cors from 'cors';
import type { RequestHandler } from 'express';

/**
 * CORS for the JSON API, off unless origins are configured (RFM_CORS_ORIGINS): browsers on those
 * origins may call `/api/…` and read x-request-id and x-model-version; any other origin gets no
 * CORS headers (the browser then blocks the response). Admin writes still need the bearer token.
 */
export function corsFor(origins: readonly string[]): RequestHandler | null {
  if (origins.length === 0) return null;
  return cors({
    origin: [...origins],
    methods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['content-type', 'authorization', 'x-request-id'],
    exposedHeaders: ['x-request-id', 'x-model-version'],
    maxAge: 600,
  }) as RequestHandler;
}

import { randomUUID } from 'node:crypto';

/**
 * Request ids for answers whose caller sent none: UUID-shaped (8-4-4-4-12 hex), a random prefix
 * per process and a counter. Unique, which is all a request id is for (finding one request's log
 * lines); not secret, and not a v4 UUID past the prefix. randomUUID() per request was a visible
 * share of a single-customer prediction's CPU (bench/serve's fast path).
 */
const prefix = randomUUID().slice(0, 24);
let next = 0;

export function newRequestId(): string {
  next++;
  return prefix + next.toString(16).padStart(12, '0');
}

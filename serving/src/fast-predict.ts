import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Express, RequestHandler } from 'express';
import { fastPredictRequest, RfmError } from '@rfm/shared';
import type { ModelHolder } from './model-holder.js';
import type { ServingMetrics } from './metrics.js';
import type { Logger } from './logger.js';
import { SANE_ID } from './middleware/request-context.js';
import { securityHeaders } from './middleware/security-headers.js';
import { scoreInstancesJson } from './scoring.js';
import { newRequestId } from './request-id.js';
import type { ConnectionDeadline, HeaderDeadlines } from './server-limits.js';
import { TurnBatch } from './turn-batch.js';

/**
 * The scoring hot path in front of express: `POST /api/v1/predict` with a plain JSON body of a
 * known length, no query string and no CORS origin is read, parsed, checked by the fast
 * validator, scored and answered here, in plain node:http; express's router, body parser and
 * response helpers cost several times the model on this route (see bench/serve.ts). Everything
 * else — every other route, pinned versions, CORS, chunked bodies, and every body the fast
 * validator does not accept (all errors included) — goes to the express app unchanged: the body
 * already read is handed over as `req.body`, which body-parser then leaves alone, so the route's
 * own zod path answers with its usual messages. The answer is byte-for-byte what the express route
 * sends (same headers, same JSON), which the predict tests check through both paths. Answers are
 * written at the end of the event loop's turn, together (turn-batch.ts).
 */
const PATH = '/api/v1/predict';
const INTERNAL_ERROR = JSON.stringify(new RfmError('INTERNAL', 'internal error').toJSON());
const JSON_TYPE = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

export interface FastPathOptions {
  holder: ModelHolder;
  metrics: ServingMetrics;
  logger: Logger;
  corsOrigins: readonly string[];
  /** bytes; larger bodies go to express (which answers 413 past its own limit) */
  maxBytes: number;
  /** the server's connection header deadlines: suspended while a request is in, re-armed by its answer */
  deadlines: HeaderDeadlines;
}

/** The security headers helmet sets, captured once (they do not depend on the request). */
function staticSecurityHeaders(): [string, string][] {
  const out: [string, string][] = [];
  const fake = {
    setHeader: (k: string, v: unknown) => out.push([k, String(v)]),
    removeHeader: () => {},
    getHeader: () => undefined,
  };
  (securityHeaders() as RequestHandler)({ headers: {} } as never, fake as never, () => {});
  return out;
}

/** A fast-path request whose body is being read. */
interface Pending {
  req: IncomingMessage;
  res: ServerResponse;
  chunks: Buffer[];
  started: bigint;
  deadline: ConnectionDeadline | undefined;
}

export function withFastPredict(app: Express, o: FastPathOptions): RequestListener {
  const answer = answerer(o.metrics, staticSecurityHeaders());
  const express = o.deadlines.around(app);

  const respond = ({ req, res, chunks, started, deadline }: Pending): void => {
    let text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // the decoder body-parser uses drops a BOM too
    let body: unknown;
    try {
      body = strictJsonParse(text);
    } catch (e) {
      // as errors.ts words body-parser's parse failure
      const err = new RfmError(
        'INVALID_INPUT',
        `body is not valid JSON: ${String((e as Error).message).slice(0, 200)}`,
        { issues: [{ path: '(body)', message: 'not valid JSON' }] },
      );
      answer(req, res, 400, JSON.stringify(err.toJSON()), null, started, deadline);
      return;
    }
    const parsed = fastPredictRequest(body);
    const model = o.holder.current;
    if (!parsed || !model) {
      (req as IncomingMessage & { body?: unknown }).body = body; // body-parser sees a finished request and keeps it
      o.deadlines.answeredOnFinish(res, deadline);
      app(req, res);
      return;
    }
    try {
      answer(req, res, 200, scoreInstancesJson(model, parsed.instances, o.metrics), model.version, started, deadline);
    } catch (e) {
      o.logger.error({ err: e, path: PATH }, 'fast path failed');
      answer(req, res, 500, INTERNAL_ERROR, null, started, deadline);
    }
  };
  // answered at the end of the event loop's turn, all together (turn-batch.ts: why)
  const batch = new TurnBatch(respond, (e) => o.logger.error({ err: e, path: PATH }, 'fast path failed'));

  return (req: IncomingMessage, res: ServerResponse) => {
    const h = req.headers;
    const type = h['content-type'];
    if (
      req.method !== 'POST' ||
      req.url !== PATH ||
      h['transfer-encoding'] !== undefined ||
      (o.corsOrigins.length > 0 && h.origin !== undefined) ||
      !(type === 'application/json' || JSON_TYPE.test(type ?? '')) ||
      !(Number(h['content-length']) > 0 && Number(h['content-length']) <= o.maxBytes)
    )
      return express(req, res);
    const pending: Pending = {
      req,
      res,
      chunks: [],
      started: process.hrtime.bigint(),
      deadline: o.deadlines.requestIn(req),
    };
    // no 'error' listener: node emits an IncomingMessage's error only to listeners, and a request
    // whose client hung up mid-body never ends, so there is nothing to answer
    req.on('data', (c: Buffer) => pending.chunks.push(c));
    req.on('end', () => batch.add(pending));
  };
}

/**
 * Writes an answer with the express route's headers, in its order. The headers go to
 * `res.writeHead` as one flat list built once (helmet's, cache-control, content-type) in which only
 * the request id, the model version and the length change: node then validates each header once
 * while writing the head, instead of once more in a `setHeader` call per header, which with
 * helmet's dozen was the largest cost of a single-customer answer in a CPU profile under wrk.
 * The list is reused: writeHead reads it synchronously and keeps no reference.
 */
function answerer(metrics: ServingMetrics, security: [string, string][]) {
  const tail = ['cache-control', 'no-store', 'content-type', 'application/json; charset=utf-8', 'content-length', ''];
  const withVersion = ['x-request-id', '', ...security.flat(), 'x-model-version', '', ...tail];
  const without = ['x-request-id', '', ...security.flat(), ...tail];
  const versionAt = withVersion.indexOf('x-model-version') + 1;
  let shownVersion = -1;
  let versionText = '';
  const record = new Map<number, (seconds: number) => void>();
  return (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    json: string,
    version: number | null,
    started: bigint,
    deadline: ConnectionDeadline | undefined,
  ): void => {
    const given = req.headers['x-request-id'];
    const headers = version === null ? without : withVersion;
    headers[1] = typeof given === 'string' && SANE_ID.test(given) ? given : newRequestId();
    if (version !== null) {
      if (shownVersion !== version) [shownVersion, versionText] = [version, String(version)];
      headers[versionAt] = versionText;
    }
    headers[headers.length - 1] = String(Buffer.byteLength(json));
    res.writeHead(status, headers);
    res.end(json);
    deadline?.answered();
    let observe = record.get(status);
    if (!observe) {
      observe = metrics.httpRecorder('POST', PATH, status);
      record.set(status, observe);
    }
    observe(Number(process.hrtime.bigint() - started) / 1e9);
  };
}

/**
 * JSON.parse with body-parser's `strict` rule (only objects and arrays at the top) and its exact
 * error message for a violation (body-parser/lib/types/json.js, createStrictSyntaxError), so the
 * fast path words a bad body as the express route would.
 */
function strictJsonParse(text: string): unknown {
  const c0 = text.charCodeAt(0);
  if (c0 === 0x7b || c0 === 0x5b) return JSON.parse(text); // '{' or '[' first: the usual body, no regex
  const first = /^[\x20\x09\x0a\x0d]*([^\x20\x09\x0a\x0d])/.exec(text)?.[1];
  if (first === '{' || first === '[') return JSON.parse(text);
  const index = first === undefined ? -1 : text.indexOf(first);
  const partial = index === -1 ? '' : text.substring(0, index) + '#'.repeat(text.length - index);
  try {
    JSON.parse(partial);
  } catch (e) {
    throw new SyntaxError(String((e as Error).message).replace(/#+/g, (p) => text.substring(index, index + p.length)));
  }
  throw new SyntaxError('strict violation');
}

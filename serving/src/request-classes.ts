import { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';

/**
 * Request and response classes for node:http whose instances are born with the express app's own
 * prototypes (pass both to http.createServer). Express 5 sets the prototype of every request and
 * response it handles (`Object.setPrototypeOf(req, app.request)`); done to an object node:http
 * has just made, that costs V8 a new hidden class per object and leaves garbage that outlives two
 * young-generation collections. A bare express app on this machine (wrk, 4 connections, 4 s):
 * 24–29k requests and 6.7–6.9 kB promoted to the old generation per request; with these classes
 * 65–103k requests and 20–32 bytes (bare node:http: 3 bytes). Promoted bytes are what each
 * scavenge copies, and the scavenges were what set the lookup's p99 (bench/lookup).
 *
 * The classes' prototypes become `app.request` / `app.response`, with express's own request and
 * response prototypes behind them, so express's setPrototypeOf finds the prototype it sets and
 * changes nothing, and everything express adds (req.app, res.json, …) is where it was.
 */
export function requestClassesFor(app: Express): {
  IncomingMessage: typeof IncomingMessage;
  ServerResponse: typeof ServerResponse;
} {
  class AppRequest extends IncomingMessage {}
  class AppResponse extends ServerResponse {}
  adopt(AppRequest.prototype, app.request, app);
  adopt(AppResponse.prototype, app.response, app);
  app.request = AppRequest.prototype as Express['request'];
  app.response = AppResponse.prototype as unknown as Express['response'];
  return { IncomingMessage: AppRequest, ServerResponse: AppResponse as typeof ServerResponse };
}

/** Put the class prototype where the app's was: in front of express's request/response prototype, with `app`. */
function adopt(proto: object, appProto: object, app: Express): void {
  Object.setPrototypeOf(proto, Object.getPrototypeOf(appProto));
  Object.defineProperty(proto, 'app', { configurable: true, enumerable: true, writable: true, value: app });
}

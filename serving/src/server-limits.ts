import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Timeouts and a connection cap for the HTTP server (against slowloris and connection floods), sized for this workload:
 * small JSON predictions answered in well under a millisecond, CSV bodies of at most 50 MB, and
 * form uploads of at most 20 MB from people's browsers.
 *
 * - headers: a client has 10 s to send its request line and headers (Node's default is 60 s;
 *   a slowloris client that drips one header line every few seconds holds a socket that long).
 * - request: 120 s for the whole request, body included: a 50 MB CSV at 4 Mbit/s fits.
 * - keep-alive: an idle kept-alive connection is closed after 5 s; headers of the next request
 *   on it get the same 10 s as a new one.
 * - our own header deadline per connection: Node's headersTimeout is not enforced against a client
 *   that sends one header line every couple of seconds (measured on Node 20: with a 1.5 s limit
 *   and a line every 2 s, sockets stayed open for good; with 4 s and 2 s, closed only at 8 s), nor
 *   on a socket that sends nothing at all. So every connection must deliver complete request
 *   headers within headersTimeoutMs of connecting, and again of each answer it got; otherwise it
 *   is destroyed. The deadline is suspended while a request is in (from its 'request' event to its answer), so a slow
 *   body is governed by requestTimeout, not by this.
 * - the checking interval: Node checks the header/request deadlines on a timer, every 30 s by
 *   default, so a 10 s deadline could last 40 s; 1 s keeps it near the figure above.
 * - connections: at most 10,000 open at once per process. Every accepted socket costs a few kB
 *   and a file descriptor; past the cap new ones are refused at accept rather than taking the
 *   process down when descriptors run out. The cap is well above what the deadlines let a slow
 *   client hold, so it is a last resort, not what keeps predictions answered.
 */
export interface ServerLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  checkEveryMs: number;
  maxConnections: number;
}

export const SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 5_000,
  checkEveryMs: 1_000,
  maxConnections: 10_000,
};

/** Options for http.createServer (the checking interval can only be set at creation). */
export function serverOptions(l: ServerLimits): ServerOptions {
  return {
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    connectionsCheckingInterval: l.checkEveryMs,
  };
}

/** The limits that are properties of a created server. */
export function applyLimits(server: Server, l: ServerLimits): void {
  server.headersTimeout = l.headersTimeoutMs;
  server.requestTimeout = l.requestTimeoutMs;
  server.keepAliveTimeout = l.keepAliveTimeoutMs;
  server.maxConnections = l.maxConnections;
  // One timer per connection, made when it connects and re-armed with refresh() after each answer:
  // a timer made and cleared around every request cost a Timeout object and two timer-list updates
  // per prediction (the scoring fast path's hot loop). While a request is in flight the timer does
  // nothing when it fires (the body is requestTimeout's); the answer re-arms it.
  const deadlines = new WeakMap<Socket, { timer: NodeJS.Timeout; busy: boolean }>();
  server.on('connection', (socket: Socket) => {
    const d = {
      timer: setTimeout(() => {
        if (!d.busy) socket.destroy();
      }, l.headersTimeoutMs),
      busy: false,
    };
    d.timer.unref();
    deadlines.set(socket, d);
    socket.once('close', () => clearTimeout(d.timer)); // a cleared timer is not re-armed by refresh()
  });
  // The socket can be gone by the time a response finishes (req.socket is null once it was
  // detached, e.g. after an upgrade or a client that hung up): nothing to arm then.
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket as Socket | null;
    const d = socket ? deadlines.get(socket) : undefined;
    if (!d) return;
    d.busy = true;
    res.on('finish', () => {
      d.busy = false;
      if (!socket!.destroyed) d.timer.refresh(); // the next request on this connection gets the same deadline
    });
  });
}

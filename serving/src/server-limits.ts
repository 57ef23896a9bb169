import type { IncomingMessage, RequestListener, Server, ServerOptions, ServerResponse } from 'node:http';
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

/** The limits that are properties of a created server, and the header deadline of its connections. */
export function applyLimits(server: Server, l: ServerLimits): HeaderDeadlines {
  server.headersTimeout = l.headersTimeoutMs;
  server.requestTimeout = l.requestTimeoutMs;
  server.keepAliveTimeout = l.keepAliveTimeoutMs;
  server.maxConnections = l.maxConnections;
  const deadlines = new HeaderDeadlines(l.headersTimeoutMs);
  server.on('connection', deadlines.connected);
  return deadlines;
}

/**
 * One connection's header deadline: one timer, made when it connects and re-armed with refresh()
 * after each answer (a timer made and cleared around every request cost a Timeout object and two
 * timer-list updates per prediction). While a request is in, the timer does nothing when it fires
 * (the body is requestTimeout's); the answer re-arms it.
 */
export class ConnectionDeadline {
  private busy = false;
  private readonly timer: NodeJS.Timeout;
  constructor(
    private readonly socket: Socket,
    ms: number,
  ) {
    this.timer = setTimeout(() => {
      if (!this.busy) socket.destroy();
    }, ms);
    this.timer.unref();
    socket.once('close', () => clearTimeout(this.timer)); // a cleared timer is not re-armed by refresh()
  }

  requestIn(): void {
    this.busy = true;
  }

  /** The answer is out: the next request on this connection gets the whole deadline again. */
  answered(): void {
    this.busy = false;
    if (!this.socket.destroyed) this.timer.refresh();
  }
}

/**
 * The header deadlines of a server's connections. The request listener tells them when a request
 * is in and when it is answered: `around` wraps a listener that answers through `res` (express),
 * re-arming on 'finish'; the scoring fast path calls `requestIn` and `answered` itself, which
 * spares each prediction a second 'request' listener and a 'finish' closure. (Removing both cost
 * at most 1.9 of 18.6 µs of user CPU per prediction under wrk; this change's own gain stayed
 * within the machine's noise: a simpler hot path, not a measured speed-up.)
 */
export class HeaderDeadlines {
  private readonly bySocket = new WeakMap<Socket, ConnectionDeadline>();
  constructor(private readonly ms: number) {}

  /** The server's 'connection' listener. */
  readonly connected = (socket: Socket): void => {
    this.bySocket.set(socket, new ConnectionDeadline(socket, this.ms));
  };

  /**
   * The deadline of the connection a request came on, now suspended until `answered()`; undefined
   * when the socket is already gone (req.socket is null once detached, e.g. a client that hung up).
   */
  requestIn(req: IncomingMessage): ConnectionDeadline | undefined {
    const socket = req.socket as Socket | null;
    const d = socket ? this.bySocket.get(socket) : undefined;
    d?.requestIn();
    return d;
  }

  /** Re-arms `d` when `res` has finished: for answers written by someone else (express). */
  answeredOnFinish(res: ServerResponse, d: ConnectionDeadline | undefined): void {
    if (d) res.on('finish', () => d.answered());
  }

  /** `listener` with its requests' answers re-arming their connection's deadline. */
  around(listener: RequestListener): RequestListener {
    return (req, res) => {
      this.answeredOnFinish(res, this.requestIn(req));
      listener(req, res);
    };
  }
}

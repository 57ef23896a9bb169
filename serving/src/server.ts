import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { driftThresholdsFromEnv, RfmError, type Config } from '@rfm/shared';
import { parseLocation, redactUrl } from '@rfm/registry';
import { createApp } from './app.js';
import { RegistryWriter } from './registry-writer.js';
import { startRetention } from './runs/retention-schedule.js';
import { CompareService } from './compare-service.js';
import type { SessionSync } from './ui/session.js';
import { ModelHolder } from './model-holder.js';
import { createLogger, type Logger } from './logger.js';
import type { WebhookOptions } from '@rfm/runs';
import { type LatestRunDrift, ServingMetrics } from './metrics.js';
import { withFastPredict } from './fast-predict.js';
import { requestClassesFor } from './request-classes.js';
import { JSON_BODY_BYTES } from './routes/predict.js';
import { runIdentity } from './runs/identity.js';
import { runsBaseDir } from './runs/run-files.js';
import { RunQueue } from './runs/run-queue.js';
import { RunsReader } from './runs/runs-reader.js';
import { applyLimits, SERVER_LIMITS, serverOptions, type ServerLimits } from './server-limits.js';

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  holder: ModelHolder;
  logger: Logger;
  metrics: ServingMetrics;
  /** the scoring runs queue of this process */
  runs: RunQueue;
  /** Stop accepting, let in-flight requests finish (up to drainMs), then stop the holder. */
  close(opts?: { drainMs?: number }): Promise<void>;
}

export interface StartOptions {
  config: Config;
  logger?: Logger;
  /** what GET /metrics answers (cluster workers: the sum over all workers) */
  collectMetrics?: () => Promise<{ contentType: string; body: string }>;
  /** this process's metrics registry (cluster workers register it for aggregation) */
  metrics?: ServingMetrics;
  /** timeouts and connection cap (tests shorten them); defaults in server-limits.ts */
  limits?: Partial<ServerLimits>;
  /** failed admin authentications per client and window (default middleware/rate-limit.ts) */
  authFailures?: { limit: number; windowMs: number };
  /** admin sessions shared between cluster workers */
  sessionSync?: SessionSync;
  /** scoring runs: where run folders go (default the OS temp folder), upload cap, queue poll (tests shorten it) */
  runs?: {
    tempRoot?: string;
    maxUploadBytes?: number;
    pollMs?: number;
    retention?: { everyMs?: number; firstMs?: number };
    webhook?: WebhookOptions;
  };
  /**
   * Training a new version from a run page: the command that runs `rfm train` (the executable and its
   * first arguments, e.g. node, the rfm entry point, 'train'). serving never imports training; `rfm
   * serve` passes its own entry. Without it the run page says retraining is not available here.
   */
  train?: { command: readonly string[] };
}

/** The latest saved run of each model with its drift, for the /metrics gauges (read-only connection). */
async function latestRunDrift(writer: RegistryWriter): Promise<LatestRunDrift[]> {
  const seen = new Set<string>();
  const out: LatestRunDrift[] = [];
  // newest first: the first run of each model is its latest
  for (const r of await (await writer.reader()).listRuns())
    if (!seen.has(r.modelName)) {
      seen.add(r.modelName);
      out.push({ model: r.modelName, run: r.id, drift: r.drift });
    }
  return out;
}

function urlOf(host: string, port: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}`;
}

/** Load the model (if any), then listen. Resolves once the port is bound; port 0 picks a free one. */
export async function startServer({
  config,
  logger = createLogger(config),
  collectMetrics,
  metrics = new ServingMetrics(),
  limits: limitOverrides = {},
  authFailures,
  sessionSync,
  runs: runOptions = {},
  train,
}: StartOptions): Promise<RunningServer> {
  // a bad RFM_DRIFT_* value is refused at start-up, not by every scoring run later
  driftThresholdsFromEnv(process.env);
  const holder = new ModelHolder({
    registry: config.registry,
    modelName: config.modelName,
    pollMs: config.pollMs,
    logger,
  });
  metrics.watch(holder); // before start(), so the first load is counted like every later one
  await holder.start();
  const writer = new RegistryWriter(config.registry);
  const compare = new CompareService(config.registry, () => holder.registryRevision());
  const reader = new RunsReader(config.registry);
  const identity = runIdentity();
  const base = runsBaseDir(runOptions.tempRoot);
  const queue = new RunQueue({
    registry: config.registry,
    writer,
    logger,
    identity,
    base,
    keepUploadMs: config.runUploadKeepHours * 3_600_000,
    ...(train ? { trainCommand: train.command } : {}),
    ...(runOptions.pollMs ? { pollMs: runOptions.pollMs } : {}),
    ...(runOptions.webhook ? { webhook: runOptions.webhook } : {}),
    metrics,
  });
  metrics.watchRuns(() => latestRunDrift(writer));
  try {
    await queue.start(); // marks runs a crashed predecessor left as failed, removes their folders
  } catch (e) {
    // a read-only registry still serves predictions; POST /api/v1/runs then reports the registry error
    logger.warn({ err: e }, 'scoring runs unavailable: the registry cannot be opened for writing');
  }
  const app = createApp({
    holder,
    config,
    logger,
    writer,
    metrics,
    compare,
    runs: {
      queue,
      identity,
      base,
      reader,
      canTrain: train !== undefined,
      ...(runOptions.maxUploadBytes ? { maxUploadBytes: runOptions.maxUploadBytes } : {}),
    },
    ...(authFailures ? { authFailures } : {}),
    ...(sessionSync ? { sessionSync } : {}),
    ...(collectMetrics ? { collectMetrics } : {}),
  });

  const stopRetention = startRetention(config, writer, logger, runOptions.retention);

  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      // the scoring hot path answers plain POST /api/v1/predict itself; everything else is express
      // (RFM_FAST_PATH=0 turns it off, to measure the express route alone: bench/serve.ts)
      const limits = { ...SERVER_LIMITS, ...limitOverrides };
      // requests and responses born with express's prototypes (request-classes.ts: 2.5-3.5x express's throughput)
      const s = createServer({ ...serverOptions(limits), ...requestClassesFor(app) });
      const deadlines = applyLimits(s, limits);
      // one 'request' listener: node calls a lone listener directly, two through a copied array
      s.on(
        'request',
        process.env.RFM_FAST_PATH === '0'
          ? deadlines.around(app)
          : withFastPredict(app, {
              holder,
              metrics,
              logger,
              corsOrigins: config.corsOrigins,
              maxBytes: JSON_BODY_BYTES,
              deadlines,
            }),
      );
      s.listen(config.port, config.host);
      s.once('listening', () => resolve(s));
      s.once('error', reject);
    });
  } catch (e) {
    stopRetention?.();
    await queue.stop();
    await holder.stop();
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE')
      throw new RfmError(
        'CONFLICT',
        `port ${config.port} on ${config.host} is already in use; pick another with --port or RFM_PORT`,
        { cause: e },
      );
    if (err.code === 'EACCES')
      throw new RfmError('FORBIDDEN', `not allowed to listen on ${config.host}:${config.port}; use a port above 1023`, {
        cause: e,
      });
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND')
      throw new RfmError('INVALID_INPUT', `cannot listen on host ${config.host}: ${err.code}`, { cause: e });
    throw e;
  }

  // Track sockets so shutdown can end keep-alive connections once they go idle.
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });

  const addr = server.address() as AddressInfo;
  const url = urlOf(config.host, addr.port);
  logger.info(
    {
      url,
      model: config.modelName,
      version: holder.current?.version ?? null,
      registry: redactRegistry(config.registry),
      poll_ms: config.pollMs,
    },
    'listening',
  );

  let closing: Promise<void> | null = null;
  const close = ({ drainMs = 10_000 } = {}): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        logger.warn({ open: sockets.size }, 'drain timed out; closing remaining connections');
        server.closeAllConnections();
      }, drainMs);
      force.unref();
      // close() ends idle keep-alive sockets only once; sweep again so a connection whose last
      // response has just gone out does not hold shutdown for the whole keep-alive timeout.
      const sweep = setInterval(() => server.closeIdleConnections(), 25);
      sweep.unref();
      server.close(async () => {
        clearTimeout(force);
        clearInterval(sweep);
        stopRetention?.();
        await queue.stop(); // a run still executing is killed and recorded failed, its folder removed
        await holder.stop();
        await writer.close();
        await compare.close();
        await reader.close();
        logger.info('server closed');
        resolve();
      });
      server.closeIdleConnections();
    });
    return closing;
  };

  return { url, host: config.host, port: addr.port, holder, logger, metrics, runs: queue, close };
}

/** The registry as logged: a path, or a URL without its password (credentials never reach a log). */
function redactRegistry(location: string): string {
  const loc = parseLocation(location);
  return loc.kind === 'sqlite' ? loc.file : redactUrl(loc.url);
}

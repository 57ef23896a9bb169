import express, { type Express, type RequestHandler } from 'express';
import type { Config } from '@rfm/shared';
import type { ModelHolder } from './model-holder.js';
import type { Logger } from './logger.js';
import { requestContext } from './middleware/request-context.js';
import { securityHeaders } from './middleware/security-headers.js';
import { errorHandler, notFound } from './middleware/errors.js';
import { healthRoutes } from './routes/health.js';
import { predictRoutes } from './routes/predict.js';
import { modelInfoRoutes } from './routes/model-info.js';
import { formRoutes } from './routes/form.js';
import { adminRoutes } from './routes/admin.js';
import { RegistryWriter } from './registry-writer.js';
import { CompareService } from './compare-service.js';
import { AUTH_FAILURES, authFailureLimiter, perWorkerLimit } from './middleware/rate-limit.js';
import { ServingMetrics } from './metrics.js';
import { corsFor } from './middleware/cors.js';
import { predictCsvRoutes } from './routes/predict-csv.js';
import { predictTransactionsRoutes } from './routes/predict-transactions.js';
import { metricsRoutes } from './routes/metrics.js';
import { docsRoutes } from './routes/docs.js';
import { assetRoutes } from './ui/assets.js';
import { SessionKeeper, type SessionSync } from './ui/session.js';
import { peopleFor } from './middleware/people.js';
import { uiModelRoutes } from './routes/ui-models.js';
import { uiScoreRoutes } from './routes/ui-score.js';
import { customerRoutes } from './routes/customers.js';
import { runsRoutes, type RunsDeps } from './routes/runs.js';
import { uiRunsRoutes } from './routes/ui-runs.js';

export interface AppDeps {
  holder: ModelHolder;
  config: Config;
  logger: Logger;
  /** read-write registry handle for admin routes (created from config when omitted) */
  writer?: RegistryWriter;
  /** this process's metrics (created and attached to the holder when omitted) */
  metrics?: ServingMetrics;
  /** version comparisons off the event loop (created from config when omitted; close() it) */
  compare?: CompareService;
  /** failed admin authentications allowed per client and window, over all workers (tests lower or raise it) */
  authFailures?: { limit: number; windowMs: number };
  /** admin sessions shared between cluster workers (cluster.ts workerLink) */
  sessionSync?: SessionSync;
  /** what GET /metrics answers (cluster mode: the sum over workers); default this process's */
  collectMetrics?: () => Promise<{ contentType: string; body: string }>;
  /** scoring runs (POST/GET /api/v1/runs): the server's queue and run folders; routes absent without */
  runs?: Omit<RunsDeps, 'writer' | 'config'>;
}

/** The express app: routes only; the server (listen, shutdown) and the holder's life are elsewhere. */
export function createApp({
  holder,
  logger,
  config,
  writer = new RegistryWriter(config.registry),
  metrics,
  collectMetrics,
  compare = new CompareService(config.registry, () => holder.registryRevision()),
  authFailures = AUTH_FAILURES,
  sessionSync,
  runs,
}: AppDeps): Express {
  const app = express();
  const m = metrics ?? new ServingMetrics();
  if (!metrics) m.watch(holder);
  app.disable('x-powered-by');
  app.set('etag', false); // every answer depends on the live model; nothing to revalidate
  app.set('query parser', 'simple'); // flat string values only, no nested objects from qs
  // behind TLS termination: req.secure (Secure cookie) and req.ip (rate limits) from X-Forwarded-*
  app.set('trust proxy', config.trustProxy);

  // metrics, request id and security headers for every request, run as one express layer: each
  // layer costs a router step (path matching, next()), measurable on the scoring hot path
  app.use(inOneLayer([m.http(() => app), requestContext(logger), securityHeaders()]));
  app.use(
    authFailureLimiter({
      limit: perWorkerLimit(authFailures.limit, config.workers),
      windowMs: authFailures.windowMs,
    }),
  );
  // who may call: the users file and env tokens, read now (a bad users file stops the start) and on change
  const people = peopleFor(config, (e) =>
    logger.error({ err: e.message }, 'users file unreadable: its people are refused until fixed'),
  );
  const cors = corsFor(config.corsOrigins);
  if (cors) app.use('/api', cors);
  // first of the /api/v1 routers: a CRM's lookup then skips every other router's prefix match and
  // layers (about a third of what a lookup allocated went on walking them: more scavenges, a longer tail)
  app.use('/api/v1', customerRoutes({ writer, config, runsBase: runs?.base }));
  app.use('/api/v1', predictRoutes(holder, m));
  app.use('/api/v1', predictCsvRoutes(holder, m));
  app.use('/api/v1', predictTransactionsRoutes(holder, m));
  app.use(healthRoutes(holder));
  app.use(metricsRoutes(m, collectMetrics));
  app.use(docsRoutes());
  app.use('/api/v1', modelInfoRoutes(holder));
  app.use('/api/v1', adminRoutes(writer, people, compare));
  if (runs) app.use('/api/v1', runsRoutes({ ...runs, writer, config }));
  // web UI: static assets, predict form, file scoring, models pages and admin forms
  const session = new SessionKeeper(people, sessionSync);
  app.use(assetRoutes());
  app.use(formRoutes(holder, session, m));
  app.use(uiScoreRoutes(holder, session, m));
  app.use(uiModelRoutes({ holder, writer, session, compare }));
  if (runs) app.use(uiRunsRoutes({ writer, session, config, runs }));
  app.use(notFound());
  app.use(errorHandler(logger));
  return app;
}

/** Several middlewares as one: each runs the next directly, without going back to the router. */
function inOneLayer(handlers: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    let i = 0;
    const step = (err?: unknown): void => {
      if (err !== undefined && err !== null && err !== 'route' && err !== 'router') {
        next(err);
        return;
      }
      const h = handlers[i++];
      if (!h) {
        next();
        return;
      }
      try {
        void h(req, res, step);
      } catch (e) {
        next(e);
      }
    };
    step();
  };
}

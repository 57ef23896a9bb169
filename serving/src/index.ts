/** @rfm/serving public surface: the server, the app factory and the model holder. */
export { startServer, type RunningServer, type StartOptions } from './server.js';
export { createApp, type AppDeps } from './app.js';
export {
  ModelHolder,
  type LoadedModel,
  type LoadError,
  type ModelHolderOptions,
  type ModelSelector,
} from './model-holder.js';
export { createLogger, silentLogger, type Logger } from './logger.js';
export { ServingMetrics, METRIC_NAMES } from './metrics.js';
export { openApiDocument } from './openapi/document.js';
export { resolveWorkers, runPrimary, workerLink, type PrimaryOptions, type WorkerLink } from './cluster.js';
export type { SessionSync, SessionChange, SessionState } from './ui/session.js';

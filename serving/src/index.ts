/** @rfm/serving public surface (what `rfm serve` and the cross-package tests use), by name. */
export { startServer, type RunningServer, type StartOptions } from './server.js';
export type { LoadedModel } from './model-holder.js';
export { createLogger, silentLogger, type Logger } from './logger.js';
export { ServingMetrics } from './metrics.js';
export { resolveWorkers, runPrimary, type PrimaryOptions } from './cluster.js';
export { workerLink, type WorkerLink } from './cluster-worker.js';
export { untilStopSignal } from './stop-signal.js';
export type { SessionSync, SessionChange, SessionState } from './ui/session.js';

import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { Config } from '@rfm/shared';
import { loadsRuntime, runtime } from '../runtime.js';
// @rfm/serving (express, helmet, prom-client…) loads only when a server starts, so the
// other rfm commands start fast.
import type { Logger, RunningServer, ServingMetrics, SessionSync } from '@rfm/serving';
const serving = () => import('@rfm/serving');

interface ServeFlags {
  registry?: string;
  model?: string;
  port?: string;
  host?: string;
  pollMs?: string;
  workers?: string;
}

export interface ServeOptions {
  logger?: Logger;
  /** where the one human line goes (default stdout) */
  out?: (line: string) => void;
  /** stop without a signal (tests, embedding); default: SIGINT / SIGTERM only */
  signal?: AbortSignal;
  /** called once the server listens */
  onListening?: (server: RunningServer) => void;
  /** what GET /metrics answers (cluster workers: the sum over all workers) */
  collectMetrics?: () => Promise<{ contentType: string; body: string }>;
  metrics?: ServingMetrics;
  /** admin sessions shared between cluster workers */
  sessionSync?: SessionSync;
}

/**
 * How the server trains a new version from a run page: this same CLI's `rfm train`, in a child
 * process (serving never imports training). From source (tests), through tsx like the CLI itself.
 */
export function rfmTrainCommand(): string[] {
  const fromSource = import.meta.url.endsWith('.ts');
  // built: the launcher, which loads the bundle (cli/scripts/bundle.mjs), as a user's `rfm` does
  const entry = fileURLToPath(new URL(fromSource ? '../main.ts' : '../../bin/rfm.js', import.meta.url));
  return [process.execPath, ...(fromSource ? ['--conditions=rfm-source', '--import', 'tsx'] : []), entry, 'train'];
}

function readyLine(s: RunningServer, config: Config): string {
  const m = s.holder.current;
  return m
    ? `rfm serving ${m.modelName} v${m.version} at ${s.url}`
    : `rfm serving at ${s.url}: no model "${config.modelName}" is active yet (${s.holder.notReadyReason}); it will be picked up when one is registered`;
}

/**
 * Start the server and keep it running until SIGINT / SIGTERM (or `signal` aborts), then shut
 * down gracefully: stop accepting, finish in-flight requests, close the registry. A second signal
 * during the drain exits at once. Shared by `rfm serve` and `rfm quickstart`.
 */
export async function serveUntilSignal(config: Config, opts: ServeOptions = {}): Promise<void> {
  const out = opts.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const { startServer, untilStopSignal } = await serving();
  const server = await startServer({
    config,
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.collectMetrics ? { collectMetrics: opts.collectMetrics } : {}),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    ...(opts.sessionSync ? { sessionSync: opts.sessionSync } : {}),
    train: { command: rfmTrainCommand() },
  });
  out(readyLine(server, config));
  opts.onListening?.(server);

  const forceExit = () => process.exit(130);
  await untilStopSignal({
    signal: opts.signal,
    onSignal: (sig) => {
      out(`rfm: ${sig} received, finishing in-flight requests (send it again to exit at once)`);
      process.once(sig, forceExit);
    },
  });
  await server.close();
  process.off('SIGINT', forceExit);
  process.off('SIGTERM', forceExit);
  out('rfm: server stopped');
}

export function registerServeCommands(program: Command): void {
  loadsRuntime(program);
  program
    .command('serve')
    .description(
      'serve the web form and JSON API, following the production alias and hot-reloading on promote / rollback',
    )
    .option('--registry <path>', 'registry file (env RFM_REGISTRY, default data/registry.db)')
    .option('--model <name>', 'registered model name (env RFM_MODEL_NAME, default customer-segments)')
    .option('--port <n>', 'port to listen on; 0 picks a free one (env RFM_PORT, default 8080)')
    .option('--host <address>', 'address to listen on (env RFM_HOST, default 127.0.0.1)')
    .option('--poll-ms <n>', 'how often to check the registry for alias moves (env RFM_POLL_MS, default 250)')
    .option(
      '--workers <n>',
      'server processes sharing the port, each hot-reloading on its own; auto = one per core (env RFM_WORKERS, default 1)',
    )
    .action(async (o: ServeFlags) => {
      const config = runtime().shared.loadConfig(process.env, {
        registry: o.registry,
        modelName: o.model,
        port: o.port,
        host: o.host,
        pollMs: o.pollMs,
        workers: o.workers,
      });
      // a bad users file stops the start here, once, naming the file, entry and field (not in each worker)
      if (config.users && !cluster.isWorker) new (runtime().shared.People)({ file: config.users });
      await serveWithWorkers(config);
    });
}

/**
 * `--workers 1`: one process. More: this process becomes the cluster primary (forks, restarts,
 * drains on SIGTERM) and each forked worker, re-running the same command, serves.
 */
export async function serveWithWorkers(config: Config): Promise<void> {
  if (cluster.isWorker) {
    const { ServingMetrics, workerLink } = await serving();
    const metrics = new ServingMetrics();
    const link = workerLink(metrics);
    await serveUntilSignal(config, {
      out: () => {},
      signal: link.signal,
      metrics,
      collectMetrics: link.collectMetrics,
      sessionSync: link.sessions,
      onListening: (s) => link.listening(s.url, s.holder.current?.version ?? null, s.holder.notReadyReason),
    });
    if (process.connected) process.disconnect(); // let the worker exit
    return;
  }
  // the primary loads only what forks and supervises (node:cluster, no express / registry / prom-client):
  // the first worker starts at once instead of after the primary has loaded the whole server stack
  const { resolveWorkers, runPrimary } = await import('@rfm/serving/cluster');
  const workers = resolveWorkers(config.workers);
  if (workers <= 1) return serveUntilSignal(config);
  await runPrimary({ workers, logLevel: config.logLevel });
}

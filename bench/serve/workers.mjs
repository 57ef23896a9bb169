// The bare baselines' process model, as rfm's: `workers` cluster workers sharing the port (one
// process when workers is 1); `serve()` starts the server in each. SIGTERM stops them all.
import cluster from 'node:cluster';

export function onWorkers(workers, serve) {
  if (cluster.isPrimary && workers > 1) {
    for (let i = 0; i < workers; i++) cluster.fork();
    process.on('SIGTERM', () => {
      for (const w of Object.values(cluster.workers)) w.kill();
      process.exit(0);
    });
  } else serve();
}

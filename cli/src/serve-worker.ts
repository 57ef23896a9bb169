/**
 * The entry of each `rfm serve --workers N` worker (the primary points node:cluster here): the
 * serve command's flags come from the primary in RFM_SERVE_FLAGS and the configuration is read
 * from them and the environment exactly as the command does, but the worker skips commander and
 * the other command modules and goes straight to loading the server (less to load N times over
 * on a machine with few cores).
 */
import { loadRuntime } from './runtime.js';
import { serveWithWorkers } from './commands/serve.js';

try {
  const { shared } = await loadRuntime();
  const flags = JSON.parse(process.env.RFM_SERVE_FLAGS ?? '{}') as Parameters<typeof shared.loadConfig>[1];
  await serveWithWorkers(shared.loadConfig(process.env, flags));
} catch (err) {
  // as bin/rfm.js reports a failure (the primary checked the same configuration before forking)
  console.error(`rfm: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 70;
}

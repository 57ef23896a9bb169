import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RfmError } from '@rfm/shared/errors';
import { loadsRuntime, runtime } from '../runtime.js';
import { authorize, registryModule } from './common.js';
import { serveUntilSignal } from './serve.js';

/** The bundled real sample export (UCI Online Retail cut), found from the package, not the cwd. */
export const SAMPLE_EXPORT = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'data',
  'online_retail_sample.csv.gz',
);

interface QuickstartFlags {
  registry?: string;
  model?: string;
  port?: string;
  host?: string;
  export?: string;
}

/**
 * `rfm quickstart` (what `npm start` runs): make sure a production model exists — training one
 * on the bundled sample when the registry has none — then serve it until Ctrl-C.
 */
export function registerQuickstartCommand(program: Command): void {
  loadsRuntime(program);
  program
    .command('quickstart')
    .description(
      'train a first model on the bundled sample if the registry has none, then serve it (with RFM_USERS: an admin RFM_TOKEN)',
    )
    .option('--registry <path>', 'registry file (env RFM_REGISTRY, default data/registry.db)')
    .option('--model <name>', 'registered model name (env RFM_MODEL_NAME)')
    .option('--port <n>', 'port (env RFM_PORT, default 8080)')
    .option('--host <h>', 'address (env RFM_HOST, default 127.0.0.1)')
    .option('--export <file>', 'export to train on when the registry is empty (default: the bundled sample)')
    .action(async (o: QuickstartFlags) => {
      const config = runtime().shared.loadConfig(process.env, {
        registry: o.registry,
        modelName: o.model,
        port: o.port,
        host: o.host,
      });
      // quickstart may train and promote: with a users file, RFM_TOKEN must be an admin's, checked
      // before the registry is opened (opening a SQLite path creates the file)
      const early = config.users ? authorize(config, 'admin') : undefined;
      const { PRODUCTION, Registry } = await registryModule();
      const reg = await Registry.open(config.registry);
      let production: number | null;
      try {
        production = await reg.resolveAlias(config.modelName, PRODUCTION);
      } finally {
        await reg.close();
      }
      if (production === null) {
        const actor = early ?? authorize(config, 'admin'); // training and promoting
        const source = o.export ?? SAMPLE_EXPORT;
        if (!existsSync(source)) throw new RfmError('NOT_FOUND', `no export to train on: ${source} does not exist`);
        process.stdout.write(
          `rfm: no production model in ${config.registry}; training one on ${relative(process.cwd(), source) || source} …\n`,
        );
        const { train } = await import('@rfm/training');
        const res = await train(
          { exportPath: source },
          {
            registryPath: config.registry,
            modelName: config.modelName,
            actor,
            description: 'quickstart on the bundled sample',
            promote: true,
            ...(config.tfBackend ? { backend: config.tfBackend } : {}),
          },
        );
        const sizes = res.segments.map((s) => `${s.name} ${s.size}`).join(', ');
        process.stdout.write(
          `rfm: registered ${res.model} v${res.version} (production) in ${(res.duration_ms / 1000).toFixed(1)} s — ` +
            `${res.data.customers} customers: ${sizes}\n`,
        );
      } else {
        process.stdout.write(`rfm: ${config.modelName} v${production} is production in ${config.registry}\n`);
      }
      await serveUntilSignal(config);
    });
}

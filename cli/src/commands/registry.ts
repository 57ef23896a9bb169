import type { Command } from 'commander';
import { loadsRuntime, runtime } from '../runtime.js';
import { emit } from '../output.js';
import { authorize, registryModule } from './common.js';

export function registerRegistryCommands(program: Command): void {
  loadsRuntime(program);
  const registry = program.command('registry').description('whole-registry operations');
  registry
    .command('copy')
    .description(
      'copy a whole registry into an empty one, SQLite ↔ PostgreSQL (numbers, aliases, events, checksums kept; verified after)',
    )
    .argument('<from>', 'source: a SQLite file or a postgres:// URL')
    .argument('<to>', 'destination (must be empty): a SQLite file or a postgres:// URL')
    .option('--json', 'print one JSON object for machines')
    .action(async (from: string, to: string, o: { json?: boolean }) => {
      authorize(runtime().shared.loadConfig(process.env), 'admin'); // it writes a whole registry: with RFM_USERS, an admin's RFM_TOKEN
      const { copyRegistry, parseLocation, redactUrl } = await registryModule();
      const show = (l: string) => {
        const loc = parseLocation(l);
        return loc.kind === 'sqlite' ? loc.file : redactUrl(loc.url);
      };
      const r = await copyRegistry(from, to);
      emit(
        o,
        { from: show(from), to: show(to), ...r, verified: true },
        () =>
          `copied ${r.models} model(s), ${r.versions} version(s), ${r.aliases} alias(es), ${r.events} event(s)` +
          ` from ${show(from)} to ${show(to)}; verified (digest ${r.digest.slice(0, 12)})`,
      );
    });
}

import { Command, CommanderError } from 'commander';
import { formatError, toRfmError } from '@rfm/shared/errors';
import { loadsRuntime } from './runtime.js';
import { registerModelsCommands } from './commands/models.js';
import { registerTrainCommands } from './commands/train.js';
import { registerServeCommands } from './commands/serve.js';
import { registerQuickstartCommand } from './commands/quickstart.js';
import { registerPredictCommand } from './commands/predict.js';
import { registerTokenCommand } from './commands/token.js';
import { registerUsersCommands } from './commands/users.js';
import { registerRegistryCommands } from './commands/registry.js';
import { registerRunsCommands } from './commands/runs.js';
import { registerCustomersCommands } from './commands/customers.js';
import { registerScoreCommand } from './commands/score.js';

export function buildProgram(): Command {
  const program = new Command('rfm')
    .description(
      'RFM customer segmentation: train k-means models on transaction exports, manage versions, serve predictions',
    )
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  // zod and the rest of @rfm/shared load only once a command is about to run, never for --help
  loadsRuntime(program);
  registerTrainCommands(program);
  registerModelsCommands(program);
  registerRegistryCommands(program);
  registerServeCommands(program);
  registerPredictCommand(program);
  registerScoreCommand(program);
  registerRunsCommands(program);
  registerCustomersCommands(program);
  registerQuickstartCommand(program);
  registerTokenCommand(program);
  registerUsersCommands(program);
  return program;
}

/** Entry point: every failure becomes one readable message and the exit code of its RfmError code. */
export async function run(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 64;
      return;
    }
    const err = toRfmError(e);
    const json = argv.includes('--json');
    if (json) process.stdout.write(`${JSON.stringify(err.toJSON(), null, 2)}\n`);
    process.stderr.write(`rfm: ${formatError(err)}\n`);
    if (err.code === 'INTERNAL' && process.env.RFM_DEBUG)
      process.stderr.write(`${String((err.cause as Error)?.stack ?? err.cause)}\n`);
    else if (err.code === 'INTERNAL')
      process.stderr.write(
        `  cause: ${String((err.cause as Error)?.message ?? err.cause)} (set RFM_DEBUG=1 for the stack)\n`,
      );
    process.exitCode = err.exitCode;
  }
}

// Run directly (tsx in tests: `node --conditions=rfm-source --import tsx cli/src/main.ts …`).
if (import.meta.url === `file://${process.argv[1]}`) await run(process.argv);

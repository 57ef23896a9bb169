import type { Command } from 'commander';
import type * as Shared from '@rfm/shared';
import type { z as Zod } from 'zod';

/**
 * What every command's action needs but `rfm --help` does not: @rfm/shared's full surface pulls in
 * zod (~95 modules, ~120 ms of a 0.5 s start on this machine). Every registerXCommands(program)
 * calls loadsRuntime(program), which loads both in commander's preAction hook (once per program, also
 * when a test registers one command on a program of its own), so actions and the helpers they call
 * (configFrom, parseVersion) use them synchronously through runtime()
 * while the command modules' top level imports only commander and zod-free helpers
 * (`@rfm/shared/errors`, `/stats`, `/revenue`).
 */
export interface Runtime {
  shared: typeof Shared;
  z: typeof Zod;
}

let loaded: Runtime | undefined;

export async function loadRuntime(): Promise<Runtime> {
  if (!loaded) {
    const [shared, zod] = await Promise.all([import('@rfm/shared'), import('zod')]);
    loaded = { shared, z: zod.z };
  }
  return loaded;
}

const hooked = new WeakSet<Command>();

/** Load the runtime before any action of `program` (or of its subcommands) runs; idempotent. */
export function loadsRuntime(program: Command): void {
  if (hooked.has(program)) return;
  hooked.add(program);
  program.hook('preAction', async () => {
    await loadRuntime();
  });
}

/** The loaded runtime; a programming error (not a user's) if an action runs before the preAction hook. */
export function runtime(): Runtime {
  if (!loaded)
    throw new Error('internal: the command was registered without loadsRuntime(program) (cli/src/runtime.ts)');
  return loaded;
}

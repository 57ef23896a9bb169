import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';

/** 32 random bytes, base64url: 43 characters, 256 bits, safe in env files and HTTP headers. */
export function newAdminToken(): string {
  return randomBytes(32).toString('base64url');
}

export function registerTokenCommand(program: Command): void {
  program
    .command('token')
    .description('print a new random admin token (256 bits) for RFM_ADMIN_TOKEN')
    .action(() => {
      process.stdout.write(`${newAdminToken()}\n`);
    });
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findPgBin,
  INSTALL_HINT,
  postgresDatabase,
  postgresSkipped,
  reapStaleClusters,
  testCluster,
} from './postgres.js';

/**
 * The two registry back ends, for suites that run the same test code on both:
 *
 *   for (const backend of BACKENDS) describe(`registry (${backend.name})`, () => { … backend.fresh() … })
 *
 * `fresh()` gives the location (RFM_REGISTRY value) of a brand-new empty registry: a file in a
 * temp folder, or a new database in the shared throwaway PostgreSQL cluster. `setup(ctx)` in a
 * `before` hook marks the suite pending when RFM_SKIP_POSTGRES=1, and fails with the install
 * hint when PostgreSQL is missing (never passes silently).
 */
/** the part of mocha's `this` a hook needs (no dependency on mocha's types in the package) */
export interface HookContext {
  skip(): void;
  timeout(ms: number): unknown;
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** a fresh, empty registry location */
  fresh(): Promise<string>;
  /** call from `before`: skip (opt-out) or fail (missing) as the environment says */
  setup(ctx: HookContext): Promise<void>;
  /** scale a count (kills, concurrent writers): smaller on PostgreSQL unless RFM_PG_FULL=1 */
  scale(sqliteCount: number, pgCount: number): number;
  /** remove what fresh() created in the file system */
  cleanup(): void;
}

function sqliteBackend(): Backend {
  const dirs: string[] = [];
  return {
    name: 'sqlite',
    async fresh() {
      const dir = mkdtempSync(join(tmpdir(), 'rfm-reg-'));
      dirs.push(dir);
      return join(dir, 'nested', 'registry.db');
    },
    async setup() {},
    scale: (n) => n,
    cleanup() {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}

function postgresBackend(): Backend {
  return {
    name: 'postgres',
    async fresh() {
      return (await testCluster()).freshDatabase();
    },
    async setup(ctx) {
      if (postgresSkipped()) ctx.skip();
      if (!findPgBin()) throw new Error(INSTALL_HINT);
      ctx.timeout(120_000);
      await testCluster();
    },
    scale: (n, pgN) => (process.env.RFM_PG_FULL === '1' ? n : pgN),
    cleanup() {},
  };
}

export const BACKENDS: readonly Backend[] = [sqliteBackend(), postgresBackend()];
export { findPgBin, INSTALL_HINT, postgresDatabase, postgresSkipped, reapStaleClusters, testCluster };

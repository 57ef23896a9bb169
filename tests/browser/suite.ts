import { expect } from 'chai';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { loadConfig, type Config } from '@rfm/shared';
import { silentLogger, startServer, type RunningServer, type StartOptions } from '@rfm/serving';
import { tempDir } from '../support.js';
import { launchOrSkip, openPage, type Watched } from './browser.js';

/**
 * The setup every browser test file shares: ONE Chromium and ONE server (in-process, port 0, a
 * real registry in a temp folder) for all the cases of a file, each case in a fresh browser
 * context of its own (`page()`), everything closed after the file. Launching Chromium and
 * starting a server per case is what made the browser tests slow.
 *
 *   const s = browserSuite({ prefix: 'rfm-x-', seed: async (registry) => {…}, config: { adminToken } });
 *   it('…', async () => { const w = await s.page(); await w.page.goto('/'); …; s.clean(w); });
 */
export interface BrowserSuiteOptions {
  /** temp folder prefix */
  prefix: string;
  /** fill the registry (a SQLite file) before the server starts */
  seed?: (registry: string, dir: string) => Promise<void>;
  /** configuration beyond the registry, loopback, port 0 and silent logs (a function: given the temp folder) */
  config?: Partial<Record<keyof Config, unknown>> | ((dir: string) => Partial<Record<keyof Config, unknown>>);
  /** more server options (run folders, the train command …), given the temp folder */
  start?: (dir: string) => Omit<StartOptions, 'config' | 'logger'>;
}

export interface BrowserSuite {
  readonly dir: string;
  readonly registry: string;
  readonly browser: Browser;
  readonly server: RunningServer;
  /** a fresh context and page (desktop by default), closed after the file if the case does not */
  page(opts?: { javaScriptEnabled?: boolean; phone?: boolean }): Promise<Watched>;
  /** no problem recorded (script errors, CSP, other hosts…) except those `allowed` */
  clean(w: Watched, allowed?: RegExp[]): void;
}

/** Registers the file's before/after hooks in the calling describe block. */
export function browserSuite(o: BrowserSuiteOptions): BrowserSuite {
  const tmp = tempDir(o.prefix);
  const registry = join(tmp.dir, 'registry.db');
  const open: Watched[] = [];
  let browser: Browser | undefined;
  let server: RunningServer | undefined;

  before(async function () {
    browser = await launchOrSkip(this);
    await o.seed?.(registry, tmp.dir);
    const more = typeof o.config === 'function' ? o.config(tmp.dir) : o.config;
    const config = loadConfig({}, { registry, port: 0, host: '127.0.0.1', logLevel: 'silent', ...more });
    server = await startServer({ ...o.start?.(tmp.dir), config, logger: silentLogger() });
  });

  after(async () => {
    for (const w of open) await w.context.close().catch(() => undefined);
    await browser?.close();
    await server?.close({ drainMs: 2000 });
    tmp.cleanup();
  });

  const started = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`the ${what} is not started yet (use it inside a test or hook)`);
    return v;
  };
  return {
    dir: tmp.dir,
    registry,
    get browser() {
      return started(browser, 'browser');
    },
    get server() {
      return started(server, 'server');
    },
    // plain functions (no `this`), so a file can destructure them
    async page(opts = {}) {
      const w = await openPage(started(browser, 'browser'), started(server, 'server').url, opts);
      open.push(w);
      return w;
    },
    clean(w, allowed = []) {
      const left = w.problems.filter((x) => !allowed.some((re) => re.test(x)));
      expect(left, left.join('\n')).to.deep.equal([]);
    },
  };
}

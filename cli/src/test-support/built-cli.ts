import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Tests that run `rfm` as a child process run the built CLI (cli/bin/rfm.js → cli/bundle, as installed),
 * not the TypeScript sources through tsx: a tsx child spends about 2 s more CPU starting (its loader
 * compiles and resolves every module) and the suite starts well over a hundred of them. `npm test`
 * builds first; after an edit, `builtCli()` rebuilds (`tsc -b cli`, then the bundle) once per test
 * process when a package's sources are newer than its build or the bundle is older than a build, so
 * a single test file never runs a stale CLI.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI_BIN = join(ROOT, 'cli', 'bin', 'rfm.js');
const PACKAGES = ['shared', 'ingest', 'charts', 'registry', 'runs', 'training', 'serving', 'cli'];

/** Newest modification time of the sources a package's build is made of (tests and test support excluded). */
function newestSource(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'test-support') t = Math.max(t, newestSource(p));
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

let checked = false;

/** The node arguments that run the built CLI, after making sure the build is not older than the sources. */
export function builtCli(): string[] {
  if (!checked) {
    const mtime = (path: string) => statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    const builtAt = (pkg: string) => mtime(join(ROOT, pkg, 'dist', '.tsbuildinfo'));
    const stale = PACKAGES.some((pkg) => newestSource(join(ROOT, pkg, 'src')) > builtAt(pkg));
    if (stale)
      execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'cli'], {
        cwd: ROOT,
        stdio: 'inherit',
      });
    const bundledAt = mtime(join(ROOT, 'cli', 'bundle', 'main.js'));
    if (stale || PACKAGES.some((pkg) => builtAt(pkg) > bundledAt))
      execFileSync(process.execPath, [join(ROOT, 'cli', 'scripts', 'bundle.mjs')], { cwd: ROOT, stdio: 'inherit' });
    checked = true;
  }
  return [CLI_BIN];
}

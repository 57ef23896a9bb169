/**
 * What every bench script shares: one argument parser (node:util parseArgs, strict: an unknown flag
 * is an error, not silently ignored), the baseline's location and Python interpreter from arguments
 * or PATH with a clear message when missing, and a fresh build of the CLI before anything runs from
 * dist (a bench never measures a stale build).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Stop with a message and the usage exit code (64), never a stack trace. */
export function fail(bench: string, message: string): never {
  process.stderr.write(`${bench}: ${message}\n`);
  process.exit(64);
}

/** The command line parsed by `config` (strict); a bad flag prints the usage line. */
export function benchArgs<T extends ParseArgsConfig>(bench: string, usage: string, config: T) {
  try {
    return parseArgs({ args: process.argv.slice(2), strict: true, ...config });
  } catch (e) {
    return fail(bench, `${(e as Error).message}\nusage: ${usage}`);
  }
}

/** A numeric flag: a finite number ≥ `min`, or a clear error naming the flag. */
export function numberFlag(bench: string, name: string, value: string | undefined, dflt: number, min = 1): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) fail(bench, `--${name} must be a number ≥ ${min}, got "${value}"`);
  return n;
}

/** The export to measure on: a positional argument that must name an existing file. */
export function exportArg(bench: string, path: string | undefined, usage: string): string {
  if (!path) fail(bench, `name the export to measure on (e.g. the full UCI Online Retail export)\nusage: ${usage}`);
  const file = resolve(path);
  if (!existsSync(file)) fail(bench, `export ${file} does not exist`);
  return file;
}

/** The baseline's folder (`--peer DIR`, holding its train.py). */
export function peerArg(bench: string, dir: string | undefined): string {
  if (!dir) fail(bench, 'give the baseline with --peer DIR (the folder holding its train.py)');
  const peer = resolve(dir);
  if (!existsSync(join(peer, 'train.py'))) fail(bench, `--peer ${peer}: no train.py there`);
  return peer;
}

/**
 * The Python interpreter for the baseline: `--python PATH`, else `python3` on PATH; it must import
 * `modules` (e.g. sklearn, pandas), or the message says which is missing.
 */
export function pythonArg(bench: string, given: string | undefined, modules: string[]): string {
  const python = given ?? 'python3';
  const probe = spawnSync(python, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
  if (probe.error)
    fail(bench, `no Python interpreter "${python}" (${probe.error.message}); give one with --python PATH`);
  if (probe.status !== 0)
    fail(
      bench,
      `${python} cannot import ${modules.join(', ')}: ${probe.stderr.trim().split('\n').pop()} ` +
        '(Debian: apt-get install python3-sklearn python3-pandas; or --python a virtualenv’s interpreter)',
    );
  return python;
}

/** Build the CLI (`tsc -b cli`, incremental); refuse to measure when it does not build. */
export function buildFirst(bench: string): void {
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'cli'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const out = String((e as { stdout?: unknown }).stdout ?? '').slice(0, 2000);
    fail(bench, `\`tsc -b cli\` failed, so cli/dist would be stale; not measuring it:\n${out}`);
  }
}

/** The load average (1, 5, 15 min), printed beside every figure: numbers from a busy machine are not comparable. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** Median (upper middle for an even count). */
export function median(v: number[]): number {
  return [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
}

/** Milliseconds as seconds with two decimals. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

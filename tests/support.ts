import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, found from this file (tests never depend on the working directory). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * Stress counts (kills, fuzz runs, promotions): the full figure with RFM_STRESS=1, a smaller one by
 * default so `npm test` (and CI) stays within its time budget. Both run the same code and assertions.
 */
export function stress(full: number, quick: number): number {
  return process.env.RFM_STRESS === '1' ? full : quick;
}

export const SAMPLE = join(ROOT, 'data', 'online_retail_sample.csv.gz');
const CLI = join(ROOT, 'cli', 'src', 'main.ts');

/** `rfm train` from the TypeScript sources, as a server is given it to train from a run page (rfm serve passes its own). */
export const RFM_TRAIN_COMMAND: readonly string[] = [
  process.execPath,
  '--conditions=rfm-source',
  '--import',
  'tsx',
  CLI,
  'train',
];

export function tempDir(prefix = 'rfm-e2e-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the real `rfm` CLI in its own process (TypeScript sources through tsx). */
export function rfm(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<CliResult> {
  return runCli(['--conditions=rfm-source', '--import', 'tsx', CLI, ...args], args, env, timeoutMs);
}

/** Run the built CLI (cli/bin/rfm.js → cli/dist, as installed) in its own process; build it first (`tsc -b cli`). */
export function rfmDist(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<CliResult> {
  return runCli([join(ROOT, 'cli', 'bin', 'rfm.js'), ...args], args, env, timeoutMs);
}

function runCli(argv: string[], args: string[], env: Record<string, string>, timeoutMs: number): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      cwd: ROOT,
      env: { ...process.env, RFM_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rfm ${args.join(' ')} timed out after ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** `rfm … --json` that must succeed; returns the parsed object. */
export async function rfmJson<T = any>(args: string[], env: Record<string, string> = {}): Promise<T> {
  const r = await rfm([...args, '--json'], env);
  if (r.code !== 0) throw new Error(`rfm ${args.join(' ')} exited ${r.code}\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout) as T;
}

/**
 * Start `rfm serve` on an ephemeral port in its own process; resolves once it prints its URL.
 * `built`: run cli/bin/rfm.js → cli/dist, as installed (build it first), instead of the sources.
 */
export function startServerProcess(
  args: string[],
  env: Record<string, string> = {},
  startMs = 30_000,
  { built = false } = {},
): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void>; startup: string; output: () => string }> {
  const cli = built ? [join(ROOT, 'cli', 'bin', 'rfm.js')] : ['--conditions=rfm-source', '--import', 'tsx', CLI];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cli, 'serve', '--port', '0', '--host', '127.0.0.1', ...args], {
      cwd: ROOT,
      env: { ...process.env, RFM_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in ${startMs / 1000} s:\n${out}`));
    }, startMs);
    const onData = (d: Buffer) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        const stop = () =>
          new Promise<void>((res) => {
            if (child.exitCode !== null) return res();
            child.once('close', () => res());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          });
        // startup: what it printed until then; output(): everything so far, and how it ended if it did
        const output = () =>
          `${out}${child.exitCode !== null || child.signalCode ? `\n[exited: ${child.exitCode ?? child.signalCode}]` : ''}`;
        resolve({ url: m[1]!, child, stop, startup: out, output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('close', (code) => {
      clearTimeout(t);
      reject(new Error(`server exited ${code} before starting:\n${out}`));
    });
  });
}

/** Poll until fn returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(
  fn: () => Promise<T | undefined>,
  ms: number,
  stepMs = 20,
): Promise<{ value: T; elapsedMs: number }> {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return { value: v, elapsedMs: Date.now() - start };
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

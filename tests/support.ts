import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtCli } from '../cli/src/test-support/built-cli.js';

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
/** `rfm train` (built, see builtCli) as a server is given it to train from a run page (rfm serve passes its own). */
export function rfmTrainCommand(): readonly string[] {
  return [process.execPath, ...builtCli(), 'train'];
}

export function tempDir(prefix = 'rfm-e2e-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the real `rfm` CLI in its own process (the built CLI: cli/bin/rfm.js → cli/bundle, as installed). */
export function rfm(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<CliResult> {
  return runCli([...builtCli(), ...args], args, env, timeoutMs);
}

/** The same as `rfm` (kept for the files that say so: they were written against the built CLI). */
export const rfmDist = rfm;

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

/** Start `rfm serve` (the built CLI, see builtCli) on an ephemeral port in its own process; resolves once it prints its URL. */
export function startServerProcess(
  args: string[],
  env: Record<string, string> = {},
  startMs = 30_000,
): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void>; startup: string; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...builtCli(), 'serve', '--port', '0', '--host', '127.0.0.1', ...args], {
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

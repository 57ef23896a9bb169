/**
 * Test helpers for @rfm/serving (not part of the package surface; excluded from the build).
 * Real registry files in temp dirs, real servers on port 0, real child processes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { loadConfig, type ArtifactV1, type Config } from '@rfm/shared';
import { makeArtifact } from '@rfm/shared/testing';
import { Registry } from '@rfm/registry';
import { startServer, type RunningServer, type StartOptions } from '../server.js';
import { silentLogger } from '../logger.js';

export const MODEL = 'customer-segments';
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ADMIN_SCRIPT = fileURLToPath(new URL('./registry-admin.ts', import.meta.url));

/** Hand-made centroids (standardized space) → a valid ArtifactV1 (names from the real catalogue). */
export function artifactWithCentroids(centroids: [number, number, number][], seed = 42): ArtifactV1 {
  return makeArtifact({ centroids, seed });
}

/** Two clearly different models: v1 has 4 clusters, v2 has 2, so answers differ visibly. */
export const CENTROIDS_A: [number, number, number][] = [
  [-1.2, 1.1, 1.2],
  [1.3, -0.9, -1.0],
  [-0.6, -0.5, -0.4],
  [0.6, 0.4, 0.5],
];
export const CENTROIDS_B: [number, number, number][] = [
  [-1.0, 1.0, 1.0],
  [1.0, -1.0, -1.0],
];

export interface TempRegistry {
  dir: string;
  file: string;
  cleanup(): void;
}

export function tempRegistry(): TempRegistry {
  const dir = mkdtempSync(join(tmpdir(), 'rfm-serving-'));
  return { dir, file: join(dir, 'registry.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Register in this process with a short-lived read-write connection, as `rfm train` would. */
export async function registerVersion(
  file: string,
  artifact: ArtifactV1,
  opts: { promote?: boolean } = {},
): Promise<number> {
  const reg = await Registry.open(file);
  try {
    return (await reg.register({ modelName: MODEL, artifact, actor: 'test', promote: opts.promote ?? false })).version;
  } finally {
    await reg.close();
  }
}

/** Overwrite a version's artifact bytes behind the registry's back (its sha256 stays). */
export function corruptArtifact(file: string, version: number): void {
  const db = new Database(file);
  try {
    db.prepare(
      `UPDATE artifacts SET bytes = CAST('{"format":"rfm.kmeans","tampered":true}' AS BLOB)
        WHERE version_id = (SELECT v.id FROM versions v JOIN models m ON m.id = v.model_id WHERE m.name = ? AND v.version = ?)`,
    ).run(MODEL, version);
  } finally {
    db.close();
  }
}

/**
 * Point production at a version behind the registry's back (as a registry written by an older
 * rfm, or a hand edit, could): promote now refuses damaged artifacts, and these tests are about
 * what a server does when the alias lands on one anyway.
 */
export function pointProductionRaw(file: string, version: number): void {
  const db = new Database(file);
  try {
    db.prepare(
      `UPDATE aliases SET version_id = (SELECT v.id FROM versions v JOIN models m ON m.id = v.model_id WHERE m.name = ? AND v.version = ?)
        WHERE alias = 'production'`,
    ).run(MODEL, version);
  } finally {
    db.close();
  }
}

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `registry-admin.ts <file> <action> [version]` in a separate node process. */
export function registryInChild(file: string, action: 'promote' | 'rollback', version?: number): Promise<ChildResult> {
  const args = [
    '--conditions=rfm-source',
    '--import',
    'tsx',
    ADMIN_SCRIPT,
    file,
    MODEL,
    action,
    ...(version === undefined ? [] : [String(version)]),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function testConfig(file: string, overrides: Partial<Record<keyof Config, unknown>> = {}): Config {
  return loadConfig({}, { registry: file, port: 0, host: '127.0.0.1', logLevel: 'silent', ...overrides });
}

export function startTestServer(
  file: string,
  overrides: Partial<Record<keyof Config, unknown>> = {},
  start: Omit<StartOptions, 'config' | 'logger'> = {},
): Promise<RunningServer> {
  return startServer({ ...start, config: testConfig(file, overrides), logger: silentLogger() });
}

/** Poll until fn returns a truthy value or the deadline passes; returns the value and the time taken. */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  everyMs = 20,
): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return { value: v, ms: Date.now() - t0 };
    if (Date.now() - t0 > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text };
  }
  return { status: res.status, headers: res.headers, json };
}

/**
 * Sign in to the web pages over HTTP with `token`; returns the session cookie (`rfm_admin=…`). The
 * person is whoever the token belongs to (RFM_ADMIN_TOKEN: `admin`); a third argument, the typed
 * name of older call sites, is ignored as the server ignores it.
 */
export async function adminSignIn(url: string, token: string, _typedName?: string): Promise<string> {
  const r = await fetch(`${url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, next: '/models' }).toString(),
  });
  if (r.status !== 303) throw new Error(`sign-in answered ${r.status}, expected 303`);
  const cookie = /^(rfm_admin=[^;]+)/.exec(r.headers.get('set-cookie') ?? '')?.[1];
  if (!cookie) throw new Error('sign-in set no rfm_admin cookie');
  return cookie;
}

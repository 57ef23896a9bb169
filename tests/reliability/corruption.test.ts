/**
 * Corrupted artifacts: bytes flipped inside stored artifacts behind the registry's back (the
 * recorded sha256 left as it was). A running server refuses the damaged version when production
 * moves to it, keeps answering with the old one (no failed request), and says why on /readyz;
 * a server started on a damaged production answers 503, never crashes, and recovers on rollback;
 * `rfm models verify` names every damaged version and exits non-zero.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Registry } from '@rfm/registry';
import { BACKENDS, pointAliasRaw, tamperArtifact } from '@rfm/registry/testing';
import { makeArtifact } from '@rfm/shared/testing';
import { loadConfig } from '@rfm/shared';
import { silentLogger, startServer } from '@rfm/serving';
import { ROOT, rfm, startServerProcess, waitFor } from '../support.js';
import { requestLoop } from './helpers.js';

const MODEL = 'customer-segments';
const ADMIN = join(ROOT, 'serving', 'src', 'test-support', 'registry-admin.ts');

/** Move production from another process, as an engineer's `rfm models promote/rollback` would. */
function registryInChild(
  file: string,
  action: 'promote' | 'rollback',
  version?: number,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(
      process.execPath,
      [
        '--conditions=rfm-source',
        '--import',
        'tsx',
        ADMIN,
        file,
        MODEL,
        action,
        ...(version === undefined ? [] : [String(version)]),
      ],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    c.stderr.on('data', (d) => (stderr += d));
    c.once('error', reject);
    c.once('close', (code) => resolve({ code, stderr }));
  });
}

/**
 * Change stored artifact bytes in place (the recorded sha256 stays). `digit`: one digit of a
 * centroid becomes another, so the JSON still parses and only the checksum can tell (the dangerous
 * kind); `noise`: 16 characters in the middle become garbage.
 */
async function flip(location: string, version: number, how: 'digit' | 'noise'): Promise<void> {
  await tamperArtifact(location, MODEL, version, (json) => {
    if (how === 'noise')
      return `${json.slice(0, json.length >> 1)}${'\u00ff'.repeat(16)}${json.slice((json.length >> 1) + 16)}`;
    let i = json.indexOf('"centroids"');
    while (!(json[i]! >= '1' && json[i]! <= '8')) i++;
    const out = `${json.slice(0, i)}${Number(json[i]) + 1}${json.slice(i + 1)}`; // '3' → '4': still a number, still JSON
    JSON.parse(out);
    return out;
  });
}

async function getJson(url: string): Promise<{ status: number; json: any }> {
  const r = await fetch(url);
  return { status: r.status, json: await r.json() };
}

for (const backend of BACKENDS)
  describe(`corrupted artifacts: refused on reload, reported by rfm models verify (${backend.name})`, function () {
    this.timeout(180_000);
    before(async function () {
      await backend.setup(this);
    });
    after(() => backend.cleanup());

    it('a running server refuses a damaged version on reload and keeps serving the old one; verify names it and exits 1', async () => {
      const file = await backend.fresh();
      const reg = await Registry.open(file);
      for (let i = 0; i < 3; i++)
        await reg.register({
          modelName: MODEL,
          artifact: makeArtifact({
            seed: i,
            centroids:
              i === 1
                ? [
                    [-1, 1, 1],
                    [1, -1, -1],
                  ]
                : undefined,
          }),
          actor: 'setup',
        });
      await reg.close();
      const server = await startServerProcess(['--registry', file], { RFM_POLL_MS: '50' });
      const loop = requestLoop(server.url, 2);
      try {
        await waitFor(async () => (loop.stats.versions.get(1) ?? 0) > 10 || undefined, 10_000);
        await flip(file, 2, 'digit');
        await flip(file, 3, 'noise');

        // production → v2 from another process: the registry now verifies the artifact and refuses (#14 item 2) …
        const promoted = await registryInChild(file, 'promote', 2);
        expect(promoted.code).to.not.equal(0);
        expect(promoted.stderr).to.match(/ARTIFACT_CORRUPT/);
        // … so move it behind the registry's back (a disk damaging v2 after its promotion): the server must catch it
        await pointAliasRaw(file, MODEL, 'production', 2);
        const ready = await waitFor(async () => {
          const r = await getJson(`${server.url}/readyz`);
          return r.json.last_load_error ? r : undefined;
        }, 5000);
        expect(ready.value.status).to.equal(200);
        expect(ready.value.json).to.include({ ready: true, model_version: 1 });
        expect(ready.value.json.last_load_error.version).to.equal(2);
        expect(ready.value.json.last_load_error.message).to.match(
          /checksum mismatch: expected sha256 [0-9a-f]{64}, found [0-9a-f]{64}/,
        );
        const before = loop.stats.requests;
        await waitFor(async () => (loop.stats.requests > before + 50 ? true : undefined), 10_000);
        expect([...loop.stats.versions.keys()], 'only v1 ever answered').to.deep.equal([1]);

        // verify: every version checked, the damaged ones named, exit code non-zero
        // both forms at once (one process start of wall time less)
        const [text, json] = await Promise.all([
          rfm(['models', 'verify', '--registry', file]),
          rfm(['models', 'verify', '--registry', file, '--json']),
        ]);
        expect(text.code, text.stderr).to.equal(1);
        expect(text.stdout).to.match(/customer-segments\s+1\s+ok/);
        expect(text.stdout).to.match(/customer-segments\s+2\s+DAMAGED: artifact checksum mismatch/);
        expect(text.stdout).to.match(/customer-segments\s+3\s+DAMAGED: artifact checksum mismatch/);
        expect(json.code).to.equal(1);
        const report = JSON.parse(json.stdout) as {
          ok: boolean;
          versions: { version: number; ok: boolean; error?: string }[];
        };
        expect(report.ok).to.equal(false);
        expect(report.versions.map((v) => [v.version, v.ok])).to.deep.equal([
          [1, true],
          [2, false],
          [3, false],
        ]);

        // a second, fresh server (in this process) on the damaged production: 503 with the reason, not a crash
        const fresh = await startServer({
          config: loadConfig({}, { registry: file, port: 0, host: '127.0.0.1', logLevel: 'silent', pollMs: 50 }),
          logger: silentLogger(),
        });
        try {
          const r = await getJson(`${fresh.url}/readyz`);
          expect(r.status).to.equal(503);
          expect(JSON.stringify(r.json)).to.match(/checksum mismatch/);
          const p = await fetch(`${fresh.url}/api/v1/predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"recency":1,"frequency":1,"monetary":1}',
          });
          expect(p.status).to.equal(503);
          expect(((await p.json()) as any).error.code).to.equal('MODEL_UNAVAILABLE');
          // moving production back to the intact v1: the fresh server serves it
          await pointAliasRaw(file, MODEL, 'production', 1);
          await waitFor(
            async () => ((await getJson(`${fresh.url}/readyz`)).json.model_version === 1 ? true : undefined),
            5000,
          );
        } finally {
          await fresh.close();
        }
      } finally {
        const stats = await loop.stop();
        await server.stop();
        expect(stats.failures, 'the first server never failed a request').to.deep.equal([]);
      }
    });
  });

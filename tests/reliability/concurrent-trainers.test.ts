/**
 * Concurrency: N `rfm train` processes (RFM_TRAINERS, default 4; half of them --promote), a writer
 * that registers and promotes in a tight loop (so the trainers' registrations really meet a held
 * write lock), and a real `rfm serve` answering a request loop, all on one registry at once.
 * No version is lost (each one a trainer reported is there, with its sha256, and verifies; numbers
 * are contiguous), no SQLITE_BUSY or "locked" reaches anyone, and the server fails no request.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Registry } from '@rfm/registry';
import { auditRegistry, BACKENDS } from '@rfm/registry/testing';
import { makeArtifact } from '@rfm/shared/testing';
import { ROOT, rfm, startServerProcess } from '../support.js';
import { percentile, requestLoop } from './helpers.js';

const TRAINERS_SQLITE = Number(process.env.RFM_TRAINERS ?? 4);
const GOOD = join(ROOT, 'tests', 'fixtures', 'hostile', 'good.csv');
const WRITER = join(ROOT, 'tests', 'fixtures', 'crash-writer.mjs');
const MODEL = 'customer-segments';

for (const backend of BACKENDS)
  describe(`concurrency: trainers, a busy writer and a server on one registry (${backend.name})`, function () {
    this.timeout(300_000);
    before(async function () {
      await backend.setup(this);
    });
    after(() => backend.cleanup());
    // PostgreSQL: 2 trainers by default (CI time); RFM_PG_FULL=1 runs as many as on SQLite
    const TRAINERS = backend.scale(TRAINERS_SQLITE, Math.min(TRAINERS_SQLITE, 2));

    it(`${TRAINERS} rfm train processes + a register/promote loop + rfm serve: no lost version, no SQLITE_BUSY, no failed request`, async () => {
      const file = await backend.fresh();
      const reg = await Registry.open(file);
      await reg.register({ modelName: MODEL, artifact: makeArtifact(), actor: 'setup' });
      await reg.close();
      const server = await startServerProcess(['--registry', file], { RFM_POLL_MS: '50' });
      const loop = requestLoop(server.url, 2);

      // the busy writer (through tsx: the registry sources as they are)
      const writer = spawn(process.execPath, ['--conditions=rfm-source', '--import', 'tsx', WRITER, file, 'busy'], {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let wout = '';
      let werr = '';
      writer.stdout.on('data', (d) => (wout += d));
      writer.stderr.on('data', (d) => (werr += d));
      await new Promise<void>((r) => writer.stdout.on('data', () => wout.includes('ready') && r()));
      writer.stdin.write('go\n');

      const t0 = Date.now();
      const runs = await Promise.all(
        Array.from({ length: TRAINERS }, (_, i) =>
          rfm(
            [
              'train',
              GOOD,
              '--registry',
              file,
              '--k',
              '2',
              '--n-init',
              '2',
              '--seed',
              String(i + 1),
              '--actor',
              `trainer-${i}`,
              // forced: the small test export fails the policy's minimum customers, and the point here is the write path
              ...(i % 2 ? ['--promote', '--force', '--reason', 'concurrency test'] : []),
              '--json',
            ],
            { RFM_TF_BACKEND: 'cpu' },
            240_000,
          ),
        ),
      );
      const trainSecs = (Date.now() - t0) / 1000;
      writer.kill('SIGKILL');
      await new Promise((r) => writer.once('exit', r));
      const stats = await loop.stop();
      await server.stop();

      try {
        const trained = runs.map((r, i) => {
          expect(r.code, `trainer ${i}: ${r.stderr}`).to.equal(0);
          expect(r.stderr, `trainer ${i}`).to.not.match(/SQLITE_BUSY|locked|REGISTRY_ERROR/);
          return JSON.parse(r.stdout) as { version: number; sha256: string; promoted: boolean };
        });
        expect(werr).to.not.match(/SQLITE_BUSY|locked|Error/);
        const writerVersions = wout
          .split('\n')
          .filter((l) => l.startsWith('v'))
          .map((l) => Number(l.slice(1)));

        const a = await auditRegistry(file);
        expect(a.integrity).to.equal('ok');
        expect(a.orphans).to.equal(0);
        expect(a.versions).to.deep.equal(Array.from({ length: a.versions.length }, (_, j) => j + 1));
        const ids = trained.map((t) => t.version);
        expect(new Set(ids).size, 'distinct versions').to.equal(TRAINERS);
        const check = await Registry.openReadOnly(file);
        try {
          for (const t of trained) {
            const v = await check.get(MODEL, t.version);
            expect(v.createdBy).to.match(/^trainer-\d$/);
            expect((await check.artifactBytes(MODEL, t.version)).sha256).to.equal(t.sha256);
          }
          for (const v of writerVersions) expect((await check.get(MODEL, v)).createdBy).to.equal('busy');
          expect((await check.verify(MODEL)).filter((x) => !x.ok)).to.deep.equal([]);
          // every version is one of: setup, a trainer's, the writer's (one more if killed before printing)
          expect(a.versions.length - 1 - TRAINERS - writerVersions.length).to.be.within(0, 1);
        } finally {
          await check.close();
        }
        const lat = [...stats.latenciesMs].sort((x, y) => x - y);
        console.log(
          `      ${TRAINERS} trainers in ${trainSecs.toFixed(1)} s got versions ${ids.join(', ')}; the busy writer committed ${writerVersions.length} meanwhile; ` +
            `server: ${stats.requests} requests, ${stats.failures.length} failed, ${stats.versions.size} versions answered, p99 ${percentile(lat, 99).toFixed(1)} ms`,
        );
        expect(stats.failures).to.deep.equal([]);
      } finally {
        backend.cleanup();
      }
    });
  });

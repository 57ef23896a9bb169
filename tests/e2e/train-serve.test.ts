import { expect } from 'chai';
import { join } from 'node:path';
import { BACKENDS } from '@rfm/registry/testing';
import { rfm, rfmJson, SAMPLE, startServerProcess, tempDir, waitFor } from '../support.js';

/**
 * The whole path with real processes: train twice from the bundled real sample with the CLI,
 * serve the registry from a separate `rfm serve` process, promote and roll back from a third,
 * and watch the running server switch versions within a second. The same test code runs on a
 * SQLite file and on a PostgreSQL database (the server then follows by LISTEN/NOTIFY).
 */
for (const backend of BACKENDS)
  describe(`e2e: export → train → registry → hot-reloading server (${backend.name})`, function () {
    this.timeout(180_000);
    const tmp = tempDir();
    let registry: string;
    let server: Awaited<ReturnType<typeof startServerProcess>> | undefined;
    before(async function () {
      // CI time: on PostgreSQL this path runs with RFM_PG_FULL=1; by default the fleet test
      // (tests/registry/postgres-fleet.test.ts) covers training, LISTEN/NOTIFY reload and rollback there.
      if (backend.name === 'postgres' && process.env.RFM_PG_FULL !== '1') this.skip();
      await backend.setup(this);
      registry = await backend.fresh();
    });
    after(async () => {
      await server?.stop();
      tmp.cleanup();
      backend.cleanup();
    });

    const predictVersion = async (body: unknown) => {
      const r = await fetch(`${server!.url}/api/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(r.status).to.equal(200);
      return (await r.json()) as {
        model_version: number;
        predictions: { cid: string | null; cluster: number; segment: string; outlier: boolean | null }[];
      };
    };

    it('trains v1 from the sample export, which becomes production', async () => {
      const out = await rfmJson(['train', SAMPLE, '--registry', registry, '--k', '4', '--seed', '42']);
      expect(out.version).to.equal(1);
      expect(out.k).to.equal(4);
      expect(out.aliases).to.deep.equal(['production']);
      expect(out.data.rows_read).to.be.greaterThan(1000);
      expect(out.data.rows_kept).to.equal(
        out.data.rows_read - Object.values(out.data.rows_dropped as Record<string, number>).reduce((a, b) => a + b, 0),
      );
      expect(out.data.customers).to.be.within(100, 1000);
      expect(out.metrics.sizes.reduce((a: number, b: number) => a + b, 0)).to.equal(out.data.customers);
      expect(out.metrics.silhouette).to.be.within(0.1, 1);
      expect(Object.keys(out.segments)).to.have.length(4);
      expect(new Set(Object.values(out.segments)).size).to.equal(4);
    });

    it('trains v2 as a candidate (production stays on v1)', async () => {
      const out = await rfmJson(['train', SAMPLE, '--registry', registry, '--k', '5', '--seed', '7']);
      expect(out.version).to.equal(2);
      expect(out.aliases).to.deep.equal([]);
      const list = await rfmJson(['models', 'list', '--registry', registry]);
      expect(list.versions.map((v: { version: number; aliases: string[] }) => [v.version, v.aliases])).to.deep.equal([
        [1, ['production']],
        [2, []],
      ]);
    });

    it('serves production from a separate process; the API agrees with `rfm predict`', async () => {
      server = await startServerProcess(['--registry', registry, '--poll-ms', '100']);
      const res = await predictVersion({ CID: '12346', Recency: 325, Monetary: 77183.6, Frequency: 1 });
      expect(res.model_version).to.equal(1);
      const offline = await rfmJson([
        'predict',
        '--registry',
        registry,
        '--recency',
        '325',
        '--frequency',
        '1',
        '--monetary',
        '77183.6',
        '--cid',
        '12346',
      ]);
      expect(res.predictions[0]).to.deep.equal({
        cid: '12346',
        cluster: offline.cluster,
        segment: offline.segment,
        outlier: offline.outlier,
      });
      // one £77,183.60 order 325 days ago: nearest the big spenders' centre, and flagged as far from it
      expect(offline.outlier).to.equal(true);
      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).to.equal(200);
    });

    it('switches to v2 within 1 s of `rfm models promote` in another process, and back on rollback', async () => {
      const promote = await rfmJson(['models', 'promote', '2', '--registry', registry, '--reason', 'e2e', '--force']);
      expect(promote).to.include({ from: 1, to: 2 });
      const up = await waitFor(
        async () =>
          (await predictVersion({ recency: 10, frequency: 3, monetary: 500 })).model_version === 2 ? true : undefined,
        1000,
      );
      expect(up.elapsedMs).to.be.lessThan(1000);

      const back = await rfmJson(['models', 'rollback', '--registry', registry, '--reason', 'e2e rollback']);
      expect(back).to.include({ from: 2, to: 1 });
      const down = await waitFor(
        async () =>
          (await predictVersion({ recency: 10, frequency: 3, monetary: 500 })).model_version === 1 ? true : undefined,
        1000,
      );
      expect(down.elapsedMs).to.be.lessThan(1000);

      const hist = await rfmJson(['models', 'history', '--registry', registry, '--alias', 'production']);
      expect(
        hist.events.map(
          (e: { action: string; fromVersion: number | null; toVersion: number }) =>
            `${e.action} ${e.fromVersion}→${e.toVersion}`,
        ),
      ).to.deep.equal(['rollback 2→1', 'alias_set 1→2', 'alias_set null→1']);
    });

    it('a bad export fails with a clear message and registers nothing', async () => {
      const r = await rfm(['train', join(tmp.dir, 'missing.csv'), '--registry', registry]);
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.match(/missing\.csv/);
      expect(r.stderr).to.not.match(/\n\s+at /); // no stack trace
      const list = await rfmJson(['models', 'list', '--registry', registry]);
      expect(list.versions).to.have.length(2);
    });
  });

import { expect } from 'chai';
import { join } from 'node:path';
import { rfm, rfmJson, SAMPLE, startServerProcess, tempDir, waitFor } from '../support.js';

/**
 * The lifecycle issue's transcript as a test: train twice, compare, a refused promotion, a forced
 * one, history, rollback twice, export/import into a second registry — with a server running
 * and switching versions each time.
 */
describe('e2e: model lifecycle from the CLI with a live server', function () {
  this.timeout(240_000);
  const tmp = tempDir();
  const registry = join(tmp.dir, 'registry.db');
  const second = join(tmp.dir, 'second.db');
  let server: Awaited<ReturnType<typeof startServerProcess>> | undefined;
  const served = async () => {
    const r = await fetch(`${server!.url}/api/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"recency":30,"frequency":2,"monetary":400}',
    });
    return ((await r.json()) as { model_version: number }).model_version;
  };
  const servesSoon = async (v: number) =>
    (await waitFor(async () => ((await served()) === v ? true : undefined), 1000)).elapsedMs;

  after(async () => {
    await server?.stop();
    tmp.cleanup();
  });

  it('train, compare, refuse, force, history, roll back twice, export and import', async () => {
    const v1 = await rfmJson(['train', SAMPLE, '--registry', registry, '--k', '4']);
    const v2 = await rfmJson(['train', SAMPLE, '--registry', registry, '--k', '3', '--seed', '1']);
    expect([v1.version, v2.version]).to.deep.equal([1, 2]);
    server = await startServerProcess(['--registry', registry, '--poll-ms', '100']);
    expect(await served()).to.equal(1);

    const cmp = await rfmJson(['models', 'compare', '1', '2', '--registry', registry]);
    expect(cmp.assignments.customers).to.equal(v2.data.customers);
    expect(cmp.assignments.ari).to.be.within(-1, 1);
    expect(cmp.a.segments).to.have.length(4);
    expect(cmp.b.segments).to.have.length(3);

    // a policy no k-means on this data can meet: refusal explains the rule with numbers, exit code 78
    await rfmJson(['models', 'policy', 'set', '--min-silhouette', '0.95', '--registry', registry]);
    const refused = await rfm(['models', 'promote', '2', '--registry', registry]);
    expect(refused.code).to.equal(78);
    expect(refused.stderr).to.match(
      /POLICY_REFUSED: promotion of v2 refused by policy: silhouette 0\.\d{4} < minimum 0\.9500/,
    );
    expect(await served()).to.equal(1);

    const forced = await rfmJson([
      'models',
      'promote',
      '2',
      '--force',
      '--reason',
      'campaign needs 3 segments',
      '--actor',
      'ana',
      '--registry',
      registry,
    ]);
    expect(forced).to.include({ from: 1, to: 2, forced: true });
    expect(await servesSoon(2)).to.be.lessThan(1000);

    // train --promote meets the same policy: refused (exit 78, v3 stays a candidate) …
    const refusedTrain = await rfm(['train', SAMPLE, '--registry', registry, '--k', '5', '--promote']);
    expect(refusedTrain.code, refusedTrain.stderr).to.equal(78);
    expect(refusedTrain.stderr).to.include('v3 of "customer-segments" is registered as a candidate');
    expect(await served()).to.equal(2);
    // … and only an override with a reason moves production (v4: the same training again)
    const v3 = await rfmJson([
      'train',
      SAMPLE,
      '--registry',
      registry,
      '--k',
      '5',
      '--promote',
      '--force',
      '--reason',
      'five segments for the spring campaign',
    ]);
    expect(v3.version).to.equal(4);
    expect(v3.aliases).to.deep.equal(['production']);
    expect(v3.promotion).to.include({ from: 2, to: 4, forced: true });
    expect(await servesSoon(4)).to.be.lessThan(1000);

    const r1 = await rfmJson(['models', 'rollback', '--reason', 'too many segments', '--registry', registry]);
    expect(r1).to.include({ from: 4, to: 2 });
    expect(await servesSoon(2)).to.be.lessThan(1000);
    const r2 = await rfmJson(['models', 'rollback', '--reason', 'back to the original', '--registry', registry]);
    expect(r2).to.include({ from: 2, to: 1 });
    expect(await servesSoon(1)).to.be.lessThan(1000);

    const hist = await rfmJson(['models', 'history', '--alias', 'production', '--registry', registry]);
    expect(
      hist.events.map((e: any) => `${e.action} ${e.fromVersion}→${e.toVersion} ${e.actor}`).slice(0, 3),
    ).to.deep.equal([
      `rollback 2→1 ${hist.events[0].actor}`,
      `rollback 4→2 ${hist.events[1].actor}`,
      `alias_set 2→4 ${hist.events[2].actor}`,
    ]);
    expect(hist.events.find((e: any) => e.toVersion === 2 && e.action === 'alias_set')).to.include({
      actor: 'ana',
      reason: 'campaign needs 3 segments',
    });

    const file = join(tmp.dir, 'v2.rfm');
    await rfmJson(['models', 'export', '2', '--out', file, '--registry', registry]);
    const imported = await rfmJson(['models', 'import', file, '--registry', second]);
    expect(imported).to.include({ version: 1, sha256: v2.sha256 });
    // an import is untrusted: a candidate, never straight to production, not even in an empty registry (#14 item 6)
    expect(imported.aliases).to.deep.equal([]);
    const verify = await rfmJson(['models', 'verify', '--registry', second]);
    expect(verify.ok).to.equal(true);
  });
});

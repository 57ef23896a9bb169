import { expect } from 'chai';
import { assessDrift } from '@rfm/shared';
import { makeArtifact } from '@rfm/shared/testing';
import { copyRegistry, Registry } from './index.js';
import { BACKENDS, rejects, withRawDb } from './test-support/index.js';

/** The details of every event of one action, newest first (history() leaves details out). */
const details = (loc: string, action: string) =>
  withRawDb(loc, async (db) =>
    (
      await db.selectFrom('events').select('details_json').where('action', '=', action).orderBy('id', 'desc').execute()
    ).map((e) => JSON.parse(e.details_json ?? 'null') as Record<string, unknown>),
  );

const M = 'customer-segments';
const SHA = 'b'.repeat(64);
const by = { actor: 'ops', reason: 'campaign tool' };

function run(drift: ReturnType<typeof assessDrift> | null | undefined) {
  const facts = {
    exportName: 'june.csv',
    exportSha256: SHA,
    snapshotDate: '2026-06-30',
    rowsRead: 10,
    rowsDropped: {},
    customers: 1,
    frequencyBasis: 'invoices',
    modelName: M,
    version: 1,
  };
  return {
    modelName: M,
    version: 1,
    exportName: facts.exportName,
    exportSha256: SHA,
    snapshotDate: facts.snapshotDate,
    rowsRead: 10,
    rowsDropped: {},
    customers: 1,
    summary: [],
    facts,
    customersBlob: new Uint8Array([1]),
    customersEncoding: 'test-v1',
    ...(drift === undefined ? {} : { drift }),
  };
}

const drift = assessDrift({
  trainingCustomers: 296,
  psi: { recency: 0.01, frequency: 0.02, monetary: 0.41 },
  outlierRate: 0.012,
  segments: [{ segment: 'Champions', key: 'champions', cluster: 0, trainingShare: 0.26, share: 0.3 }],
});

for (const backend of BACKENDS)
  describe(`registry: run drift and model webhooks (${backend.name})`, () => {
    let loc: string;
    before(async function () {
      await backend.setup(this);
    });
    beforeEach(async () => {
      loc = await backend.fresh();
    });
    after(() => backend.cleanup());

    it('a run keeps its drift; a run saved without one reads back as not measured (null)', async () => {
      const r = await Registry.open(loc);
      try {
        await r.register({ modelName: M, artifact: makeArtifact(), actor: 'a' });
        const a = await r.saveRun(run(drift), 'ann');
        expect(a.drift).to.deep.equal(drift);
        expect(a.drift?.reasons).to.deep.equal(['monetary PSI 0.41 ≥ 0.25']);
        const old = await r.saveRun(run(undefined), 'ann');
        expect(old.drift).to.equal(null);
        const listed = await r.listRuns({ model: M });
        expect(listed.map((x) => x.drift?.retrainAdvised ?? null).sort()).to.deep.equal([null, true].sort());
        const saves = await details(loc, 'run_save');
        expect(saves.map((d) => d.retrain_advised)).to.deep.equal([undefined, true]);
        await rejects(r.saveRun(run({ ...drift, outlierRate: 2 }), 'ann'), /./);
      } finally {
        await r.close();
      }
    });

    it('a webhook is set (http/https only), replaced and cleared, each an event naming only the origin', async () => {
      const r = await Registry.open(loc);
      try {
        await r.register({ modelName: M, artifact: makeArtifact(), actor: 'a' });
        expect(await r.webhook(M)).to.equal(null);
        for (const bad of [
          'ftp://example.com/x',
          'javascript:alert(1)',
          'not a url',
          `https://x.example/${'a'.repeat(2000)}`,
        ])
          await rejects(r.setWebhook(M, bad, by), /webhook URL/);
        await rejects(r.setWebhook('nobody', 'https://hooks.example/a', by), /no model named "nobody"/);
        expect(await r.setWebhook(M, 'https://hooks.example/T0/secret-path?sig=1', by)).to.equal(
          'https://hooks.example/T0/secret-path?sig=1',
        );
        await r.setWebhook(M, 'http://127.0.0.1:8080/rfm', { actor: 'ops' });
        expect(await r.webhook(M)).to.equal('http://127.0.0.1:8080/rfm');
        await r.setWebhook(M, null, by);
        expect(await r.webhook(M)).to.equal(null);
        const events = (await r.history(M)).filter((e) => e.action === 'webhook');
        expect(await details(loc, 'webhook')).to.deep.equal([
          { before: 'http://127.0.0.1:8080', after: null },
          { before: 'https://hooks.example', after: 'http://127.0.0.1:8080' },
          { before: null, after: 'https://hooks.example' },
        ]);
        expect(JSON.stringify(await details(loc, 'webhook'))).to.not.contain('secret-path');
        expect(events.map((e) => e.actor)).to.deep.equal(['ops', 'ops', 'ops']);
      } finally {
        await r.close();
      }
    });

    it('rfm registry copy (SQLite → this back end) carries the webhook and run drift', async () => {
      const sqlite = BACKENDS.find((b) => b.name === 'sqlite')!;
      const from = await sqlite.fresh();
      const r = await Registry.open(from);
      await r.register({ modelName: M, artifact: makeArtifact(), actor: 'a' });
      await r.setWebhook(M, 'https://hooks.example/x', by);
      const saved = await r.saveRun(run(drift), 'ann');
      await r.close();
      await copyRegistry(from, loc);
      const c = await Registry.openReadOnly(loc);
      try {
        expect(await c.webhook(M)).to.equal('https://hooks.example/x');
        expect((await c.getRun(saved.id)).drift).to.deep.equal(drift);
      } finally {
        await c.close();
      }
    });
  });

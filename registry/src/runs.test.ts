import { expect } from 'chai';
import { sql } from 'kysely';
import { makeArtifact } from '@rfm/shared/testing';
import { copyRegistry, Registry } from './index.js';
import { BACKENDS, rejects, withRawDb } from './test-support/index.js';

const M = 'customer-segments';
const by = { actor: 'tester', reason: 'test' };
const SHA = 'a'.repeat(64);

function newRun(version: number, blob: Uint8Array, id?: string) {
  const facts = {
    exportName: 'may.csv',
    exportSha256: SHA,
    snapshotDate: '2026-05-31',
    rowsRead: 1000,
    rowsDropped: { cancelled: 12, missing_customer: 3 },
    customers: 2,
    frequencyBasis: 'invoices',
    modelName: M,
    version,
  };
  const line = (cluster: number, customers: number, revenue: number) => ({
    segment: `S${cluster}`,
    key: 'champions' as const,
    cluster,
    customers,
    customerShare: customers / 2,
    revenue,
    revenueShare: revenue / 300,
    medianRecency: 5,
    medianFrequency: 3,
    medianMonetary: revenue,
  });
  return {
    ...(id ? { id } : {}),
    modelName: M,
    version,
    exportName: facts.exportName,
    exportSha256: SHA,
    snapshotDate: facts.snapshotDate,
    rowsRead: facts.rowsRead,
    rowsDropped: facts.rowsDropped,
    customers: 2,
    summary: [line(0, 1, 100), line(1, 1, 200)],
    facts,
    customersBlob: blob,
    customersEncoding: 'test-v1',
  };
}

for (const backend of BACKENDS)
  describe(`registry saved runs (${backend.name})`, () => {
    let loc: string;
    before(async function () {
      await backend.setup(this);
    });
    beforeEach(async () => {
      loc = await backend.fresh();
    });
    after(() => backend.cleanup());

    it('saves, lists newest first, reads back and deletes runs, each save and delete an event', async () => {
      const r = await Registry.open(loc);
      await r.register({ modelName: M, artifact: makeArtifact(), actor: 'a' });
      await r.register({ modelName: 'other', artifact: makeArtifact(), actor: 'a' });
      const blob = new Uint8Array([1, 2, 3, 250, 0, 7]);
      const a = await r.saveRun(newRun(1, blob), 'ann');
      expect(a.id).to.match(/^r-\d{8}-[0-9a-f]{8}$/);
      expect(a).to.include({
        modelName: M,
        version: 1,
        customers: 2,
        createdBy: 'ann',
        customersBytes: 6,
        rowsRead: 1000,
      });
      expect(a.rowsDropped).to.deep.equal({ cancelled: 12, missing_customer: 3 });
      expect(a.summary.map((s) => s.revenue)).to.deep.equal([100, 200]);
      const b = await r.saveRun(newRun(1, new Uint8Array(3), 'r-20260601-00aabbcc'), 'bob');
      expect(b.id).to.equal('r-20260601-00aabbcc');
      expect((await r.listRuns()).map((x) => x.id)).to.deep.equal([b.id, a.id]);
      expect(await r.listRuns({ model: 'other' })).to.deep.equal([]);
      expect(Array.from(await r.runCustomers(a.id))).to.deep.equal([1, 2, 3, 250, 0, 7]);
      expect(await r.getRun(a.id)).to.deep.equal(a);
      await r.deleteRun(a.id, 'carl');
      await rejects(r.getRun(a.id), new RegExp(`no saved run with id "${a.id}"`), 'NOT_FOUND');
      await rejects(r.runCustomers(a.id), /no saved run/, 'NOT_FOUND');
      await rejects(r.deleteRun(a.id, 'carl'), /no saved run/, 'NOT_FOUND');
      const events = (await r.history(M)).filter((e) => e.action.startsWith('run_'));
      expect(events.map((e) => `${e.action}:${e.actor}`)).to.deep.equal([
        'run_delete:carl',
        'run_save:bob',
        'run_save:ann',
      ]);
      await r.close();
    });

    it('refuses unknown models and versions, duplicate ids and malformed ids', async () => {
      const r = await Registry.open(loc);
      await r.register({ modelName: M, artifact: makeArtifact(), actor: 'a' });
      await rejects(r.saveRun(newRun(7, new Uint8Array(1)), 'a'), /has no version 7/, 'NOT_FOUND');
      await r.saveRun(newRun(1, new Uint8Array(1), 'r-20260601-abcdef'), 'a');
      await rejects(r.saveRun(newRun(1, new Uint8Array(1), 'r-20260601-abcdef'), 'a'), /already exists/, 'CONFLICT');
      await rejects(r.getRun('../../etc/passwd'), /no saved run with id "..\/..\/etc\/passwd"/, 'NOT_FOUND');
      await rejects(r.saveRun(newRun(1, new Uint8Array(1), 'runs/../x'), 'a'), /invalid run id/, 'INVALID_INPUT');
      expect(await r.listRuns()).to.have.length(1);
      await r.close();
    });

    it('a damaged stored run reads back as a registry error naming the run, not as garbage', async () => {
      const r = await Registry.open(loc);
      await r.register({ modelName: M, artifact: makeArtifact(), actor: 'a' });
      const run = await r.saveRun(newRun(1, new Uint8Array(1)), 'a');
      await withRawDb(loc, async (db) => {
        await sql`UPDATE runs SET summary = '[{"segment": 3}]'`.execute(db);
      });
      await rejects(r.getRun(run.id), new RegExp(`saved run ${run.id} is damaged: summary`), 'REGISTRY_ERROR');
      await r.close();
    });

    it('rfm registry copy carries saved runs, customers blob included', async () => {
      const r = await Registry.open(loc);
      await r.register({ modelName: M, artifact: makeArtifact(), actor: 'a' });
      const run = await r.saveRun(newRun(1, new Uint8Array([9, 8, 7])), 'a');
      await r.close();
      const dst = await backend.fresh();
      await copyRegistry(loc, dst);
      const c = await Registry.open(dst);
      expect(await c.getRun(run.id)).to.deep.equal(run);
      expect(Array.from(await c.runCustomers(run.id))).to.deep.equal([9, 8, 7]);
      await c.close();
    });

    it('the model-state token moves with aliases, labels and versions, never with runs or tags', async () => {
      const w = await Registry.open(loc);
      await w.register({ modelName: M, artifact: makeArtifact(), actor: 'a' });
      const ro = await Registry.openReadOnly(loc);
      const t0 = await ro.modelStateToken();
      const c0 = await ro.changeToken();
      const run = await w.saveRun(newRun(1, new Uint8Array(10)), 'a');
      await w.setTag(M, 1, 'team', 'crm', by);
      await w.deleteRun(run.id, 'a');
      expect(await ro.modelStateToken()).to.equal(t0);
      expect(await ro.changeToken()).to.not.equal(c0); // the registry did change: only the model state did not
      await w.register({ modelName: M, artifact: makeArtifact({ seed: 2 }), actor: 'a' });
      const t1 = await ro.modelStateToken();
      expect(t1).to.not.equal(t0);
      await w.setAlias(M, 'staging', 2, by);
      const t2 = await ro.modelStateToken();
      expect(t2).to.not.equal(t1);
      await w.relabel(M, 1, 0, 'Best buyers', by);
      const t3 = await ro.modelStateToken();
      expect(t3).to.not.equal(t2);
      await w.deleteAlias(M, 'staging', by);
      const t4 = await ro.modelStateToken();
      expect(t4).to.not.equal(t3);
      await w.archive(M, 2, by);
      expect(await ro.modelStateToken()).to.not.equal(t4);
      await ro.close();
      await w.close();
    });
  });

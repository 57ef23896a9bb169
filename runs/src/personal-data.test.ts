import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { expect } from 'chai';
import { Registry } from '@rfm/registry';
import { BACKENDS, rejects, sql, withRawDb } from '@rfm/registry/testing';
import { makeArtifact } from '@rfm/shared/testing';
import { CustomerIndexCache } from './customer-index.js';
import { decodeCustomers } from './encoding.js';
import { eraseFromRuns, withoutCustomer } from './erase.js';
import { loadSavedRun } from './saved.js';
import { customers, savedRunInput } from './test-support/index.js';

const M = 'customer-segments';
const GONE = 'cust-ERASE-ME-7731';
const IDS = ['cust-A-1001', 'cust-B-1002', GONE, 'cust-D-1004', 'cust-E-1005']; // sorted by code unit
const SEGMENTS = [
  { cluster: 0, key: 'champions' as const, name: 'Champions' },
  { cluster: 1, key: 'at_risk' as const, name: 'At risk' },
  { cluster: 2, key: 'hibernating' as const, name: 'Hibernating' },
];

/** Every value of every table, blobs decoded the ways the registry stores them: where does `needle` occur? */
async function findEverywhere(location: string, needle: string): Promise<string[]> {
  return withRawDb(location, async (db, kind) => {
    const tables =
      kind === 'sqlite'
        ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)).rows
        : (
            await sql<{ name: string }>`select table_name as name from information_schema.tables
              where table_schema = current_schema()`.execute(db)
          ).rows;
    expect(tables.map((t) => t.name)).to.include.members(['runs', 'features', 'events', 'run_jobs']);
    const hits: string[] = [];
    for (const { name } of tables) {
      const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db)).rows;
      for (const row of rows)
        for (const [col, v] of Object.entries(row)) {
          const texts: string[] = [];
          if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
            const b = Buffer.from(v);
            texts.push(b.toString('utf8'));
            try {
              texts.push(decodeCustomers(b).cid.join('\n'));
            } catch {}
            try {
              texts.push(gunzipSync(b).toString('utf8'));
            } catch {}
          } else texts.push(String(v));
          if (texts.some((t) => t.includes(needle))) hits.push(`${name}.${col}`);
        }
    }
    return hits;
  });
}

for (const backend of BACKENDS)
  describe(`customer lookup, erasure and retention (${backend.name})`, function () {
    this.timeout(60_000);
    let loc: string;
    let runIds: string[];
    before(async function () {
      await backend.setup(this);
    });
    after(() => backend.cleanup());
    beforeEach(async () => {
      loc = await backend.fresh();
      const reg = await Registry.open(loc);
      try {
        await reg.register({
          modelName: M,
          artifact: makeArtifact(),
          actor: 't',
          features: { cids: [...IDS], raw: Float64Array.from({ length: 15 }, (_, i) => i + 1) },
        });
        // GONE: champions in January, at risk since February (two runs running); B stays champions throughout
        const clusters = [
          [0, 0, 0, 1, 2],
          [1, 0, 1, 1, 2],
          [2, 0, 1, 0, 2],
        ];
        runIds = [];
        for (const [i, date] of ['2026-01-31', '2026-02-28', '2026-03-31'].entries()) {
          await new Promise((r) => setTimeout(r, 5)); // distinct created_at: retention orders by it
          runIds.push(
            (await reg.saveRun(savedRunInput(customers([...IDS], clusters[i]!), date, SEGMENTS, M), 'tester')).id,
          );
        }
        // a finished job whose error message quoted the customer (an export value)
        await reg.createRunJob({
          id: 'r-20260331-00aa00aa',
          model: M,
          version: 1,
          createdBy: 't',
          serverId: 'h:1:1',
          save: true,
        });
        await reg.updateRunJob('r-20260331-00aa00aa', {
          state: 'failed',
          error: `row 7: customer ${GONE} has no date`,
        });
      } finally {
        await reg.close();
      }
    });

    it('looks a customer up in the latest run, with the previous segment and since when; none for a stranger', async () => {
      const reg = await Registry.openReadOnly(loc);
      try {
        const cache = new CustomerIndexCache(async () => reg);
        const idx = await cache.get(M);
        expect(idx.run?.id).to.equal(runIds[2]);
        const c = idx.find(GONE)!;
        expect(c).to.include({
          segment: 'At risk',
          segmentKey: 'at_risk',
          previousSegment: 'At risk',
          segmentSince: '2026-02-28',
          recency: 12,
          monetary: 102,
          outlier: false,
        });
        expect(c.run).to.include({ id: runIds[2], snapshotDate: '2026-03-31', version: 1 });
        expect(idx.find('cust-D-1004')).to.include({
          segment: 'Champions',
          previousSegment: 'At risk',
          segmentSince: '2026-03-31',
        });
        expect(idx.find('cust-B-1002')).to.include({ segment: 'Champions', segmentSince: '2026-01-31' });
        expect(idx.find('cust-A-1001')).to.include({ segment: 'Hibernating', previousSegment: 'At risk' });
        expect(idx.find('nobody-0000')).to.equal(null);
        expect(await cache.get(M)).to.equal(idx, 'the same index while no run changed');
      } finally {
        await reg.close();
      }
    });

    it('erases a customer from every run and every training set in one go, recognises a second request, leaves no trace', async () => {
      const before = await findEverywhere(loc, GONE);
      expect(before).to.include.members(['runs.customers_blob', 'features.bytes', 'run_jobs.error']);
      const reg = await Registry.open(loc);
      try {
        const cache = new CustomerIndexCache(async () => reg);
        expect((await cache.get(M)).find(GONE)).to.not.equal(null);
        const out = await reg.eraseCustomer(GONE, eraseFromRuns(GONE), { actor: 'dpo', reason: 'request 2026-114' });
        expect(out.runs.sort()).to.deep.equal([...runIds].sort());
        expect(out.versions).to.deep.equal([{ model: M, version: 1 }]);
        expect(out).to.include({ changed: true });
        expect(out.erasedBefore).to.deep.equal([]);
        expect(out.subject).to.match(/^[0-9a-f]{64}$/);
        expect(out.storage?.complete).to.equal(true);
        // the lookup index moved on: the next lookup rebuilt and the customer is gone
        expect((await cache.get(M)).find(GONE)).to.equal(null);
        expect((await cache.get(M)).find('cust-B-1002')).to.include({ segment: 'Champions' });
        // names and numbers agree: 4 customers, the summary sums to them, at risk lost one
        for (const id of runIds) {
          const s = await loadSavedRun(reg, id);
          expect(s.customers.cid).to.deep.equal(IDS.filter((c) => c !== GONE));
          expect(s.run.customers).to.equal(4);
          expect(s.run.facts.customers).to.equal(4);
          expect(s.run.summary.reduce((t, x) => t + x.customers, 0)).to.equal(4);
          expect(s.run.summary.reduce((t, x) => t + x.revenue, 0)).to.equal(100 + 101 + 103 + 104);
        }
        expect((await reg.features(M, 1))?.cids).to.deep.equal(IDS.filter((c) => c !== GONE));
        expect(Array.from((await reg.features(M, 1))!.raw)).to.deep.equal([1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 15]);
        const erase = (await reg.history(M)).find((e) => e.action === 'customer_erase');
        expect(erase).to.include({ actor: 'dpo', reason: 'request 2026-114' });
        // a second request for the same person: recognised, nothing changes
        const again = await reg.eraseCustomer(GONE, eraseFromRuns(GONE), { actor: 'dpo' });
        expect(again).to.include({ changed: false, subject: out.subject });
        expect(again.erasedBefore).to.have.length(1);
        // someone never seen: NOT_FOUND, nothing recorded
        const events = (await reg.history(M)).length;
        await rejects(
          reg.eraseCustomer('nobody-0000', eraseFromRuns('nobody-0000'), { actor: 'dpo' }),
          /in no saved run/,
          'NOT_FOUND',
        );
        expect((await reg.history(M)).length).to.equal(events);
      } finally {
        await reg.close();
      }
      expect(await findEverywhere(loc, GONE)).to.deep.equal([]);
      expect(await findEverywhere(loc, 'cust-B-1002')).to.include('runs.customers_blob');
      if (backend.name === 'sqlite') {
        for (const f of [loc, `${loc}-wal`])
          if (existsSync(f)) expect(readFileSync(f).includes(GONE), f).to.equal(false);
        expect(existsSync(`${loc}-wal`) ? readFileSync(`${loc}-wal`).length : 0, 'WAL truncated').to.equal(0);
      }
    });

    it('retention deletes runs beyond the newest N and past an age, each with an event; a dry run deletes nothing', async () => {
      const reg = await Registry.open(loc);
      try {
        const dry = await reg.gcRuns({ keep: 1, dryRun: true }, 'ops');
        expect(dry.runs.map((r) => r.id).sort()).to.deep.equal(runIds.slice(0, 2).sort());
        expect((await reg.listRuns()).length).to.equal(3);
        await rejects(reg.gcRuns({}, 'ops'), /--older-than AGE or --keep N/, 'INVALID_INPUT');
        const byCount = await reg.gcRuns({ keep: 2 }, 'ops');
        expect(byCount.runs).to.have.length(1);
        expect(byCount.runs[0]).to.include({ id: runIds[0], rule: 'count', model: M });
        // the failed job is young: kept by a 30-day age, pruned when judged from 40 days ahead
        expect(byCount.jobs).to.equal(0);
        const later = new Date(Date.now() + 40 * 86_400_000);
        const byAge = await reg.gcRuns({ olderThanDays: 30, now: later }, 'ops');
        expect(byAge.runs.map((r) => r.rule)).to.deep.equal(['age', 'age']);
        expect(byAge.jobs).to.equal(1);
        expect(await reg.listRuns()).to.deep.equal([]);
        expect(await reg.listRunJobs()).to.deep.equal([]);
        const deletes = (await reg.history(M)).filter((e) => e.action === 'run_delete');
        expect(deletes.map((e) => e.reason)).to.deep.equal([
          'retention: older than 30 days',
          'retention: older than 30 days',
          'retention: beyond the newest 2',
        ]);
      } finally {
        await reg.close();
      }
    });
  });

describe('withoutCustomer', () => {
  it('drops one customer from every column and answers null for a stranger', () => {
    const c = customers(['a', 'b', 'c'], [0, 1, 2], [5, 6, 7]);
    const out = withoutCustomer(c, 'b')!;
    expect(out.cid).to.deep.equal(['a', 'c']);
    expect(Array.from(out.monetary)).to.deep.equal([5, 7]);
    expect(Array.from(out.cluster)).to.deep.equal([0, 2]);
    expect(out.cluster).to.be.instanceOf(Uint16Array);
    expect(withoutCustomer(c, 'zz')).to.equal(null);
  });
});

import { expect } from 'chai';
import { Registry } from '@rfm/registry';
import { customers, savedRunInput } from '@rfm/runs/testing';
import { loadConfig } from '@rfm/shared';
import { makeArtifact } from '@rfm/shared/testing';
import { MODEL, startTestServer, tempRegistry, waitFor } from '../test-support/fixtures.js';

describe('runs retention on a schedule (RFM_RUNS_KEEP / RFM_RUNS_RETENTION_DAYS)', function () {
  this.timeout(30_000);

  it('reads and checks the two variables', () => {
    expect(loadConfig({ RFM_RUNS_RETENTION_DAYS: '90', RFM_RUNS_KEEP: '12' })).to.include({
      runsRetentionDays: 90,
      runsKeep: 12,
    });
    expect(() => loadConfig({ RFM_RUNS_KEEP: '0' })).to.throw(/RFM_RUNS_KEEP.*1 or more/s);
    expect(() => loadConfig({ RFM_RUNS_RETENTION_DAYS: '90d' })).to.throw(/RFM_RUNS_RETENTION_DAYS/);
  });

  it('a server with RFM_RUNS_KEEP=1 deletes the older runs itself, as actor "retention", each an event', async () => {
    const t = tempRegistry();
    try {
      const reg = await Registry.open(t.file);
      try {
        await reg.register({ modelName: MODEL, artifact: makeArtifact(), actor: 't' });
        const segs = [{ cluster: 0, key: 'champions' as const, name: 'Champions' }];
        for (const date of ['2026-01-31', '2026-02-28', '2026-03-31']) {
          await new Promise((r) => setTimeout(r, 5));
          await reg.saveRun(savedRunInput(customers(['a', 'b'], [0, 0]), date, segs, MODEL), 't');
        }
      } finally {
        await reg.close();
      }
      const s = await startTestServer(t.file, { runsKeep: 1 }, { runs: { retention: { firstMs: 20, everyMs: 1000 } } });
      try {
        const reader = await Registry.openReadOnly(t.file);
        try {
          const { value } = await waitFor(async () => {
            const left = await reader.listRuns();
            return left.length === 1 ? left : null;
          }, 10_000);
          expect(value[0]!.snapshotDate).to.equal('2026-03-31');
          const ev = (await reader.history(MODEL)).filter((e) => e.action === 'run_delete');
          expect(ev.map((e) => [e.actor, e.reason])).to.deep.equal([
            ['retention', 'retention: beyond the newest 1'],
            ['retention', 'retention: beyond the newest 1'],
          ]);
        } finally {
          await reader.close();
        }
      } finally {
        await s.close();
      }
    } finally {
      t.cleanup();
    }
  });
});

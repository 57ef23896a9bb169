import { expect } from 'chai';
import { Registry } from './index.js';
import { BACKENDS, rejects } from './test-support/index.js';

const HOST = 'host-a';
const job = (id: string, serverId: string, model = 'customer-segments') => ({
  id,
  model,
  createdBy: 'tester',
  serverId,
  save: true,
  options: { dateFormat: 'DMY' },
});

for (const backend of BACKENDS)
  describe(`run jobs (${backend.name})`, () => {
    let loc: string;
    let r: Registry;
    before(async function () {
      await backend.setup(this);
    });
    beforeEach(async () => {
      loc = await backend.fresh();
      r = await Registry.open(loc);
    });
    afterEach(async () => {
      await r.close();
    });
    after(() => backend.cleanup());

    it('creates a queued job, records progress and its end, and never changes a finished job again', async () => {
      const created = await r.createRunJob(job('r-1', `${HOST}:10:11`));
      expect(created).to.include({ id: 'r-1', state: 'queued', rowsRead: 0, percent: 0, save: true });
      expect(created.options).to.deep.equal({ dateFormat: 'DMY' });
      await r.updateRunJob('r-1', { state: 'running', phase: 'reading', rowsRead: 3_000_000_000, percent: 40.5 });
      const mid = await r.getRunJob('r-1');
      expect(mid).to.include({ state: 'running', phase: 'reading', rowsRead: 3_000_000_000, percent: 40.5 });
      await r.updateRunJob('r-1', { state: 'succeeded', phase: 'done', percent: 100, result: { customers: 7 } });
      expect(await r.updateRunJob('r-1', { state: 'running', percent: 10 })).to.equal(null);
      const done = await r.getRunJob('r-1');
      expect(done).to.include({ state: 'succeeded', percent: 100 });
      expect(done.result).to.deep.equal({ customers: 7 });
      await rejects(r.requestRunCancel('r-1'), /already finished/, 'CONFLICT');
    });

    it('unknown ids are NOT_FOUND naming the id', async () => {
      await rejects(r.getRunJob('r-nosuch'), /r-nosuch/, 'NOT_FOUND');
      await rejects(r.updateRunJob('r-nosuch', { percent: 1 }), /r-nosuch/, 'NOT_FOUND');
      await rejects(r.requestRunCancel('r-nosuch'), /r-nosuch/, 'NOT_FOUND');
    });

    it('cancels a queued job at once and flags a running one', async () => {
      await r.createRunJob(job('r-q', `${HOST}:10:11`));
      expect((await r.requestRunCancel('r-q')).state).to.equal('cancelled');
      await r.createRunJob(job('r-run', `${HOST}:10:11`));
      await r.updateRunJob('r-run', { state: 'running' });
      const flagged = await r.requestRunCancel('r-run');
      expect(flagged).to.include({ state: 'running', cancelRequested: true });
    });

    it('one running job per serve instance: claims the oldest queued job only when none of the group runs', async () => {
      await r.createRunJob(job('r-a', `${HOST}:10:11`));
      await r.createRunJob(job('r-b', `${HOST}:10:12`));
      await r.createRunJob(job('r-other', `${HOST}:20:21`));
      expect(await r.queuedRunJobs(`${HOST}:10:`)).to.equal(2);
      const first = await r.claimNextRunJob(`${HOST}:10:`, `${HOST}:10:12`);
      expect(first).to.include({ id: 'r-a', state: 'running', serverId: `${HOST}:10:12` });
      expect(await r.claimNextRunJob(`${HOST}:10:`, `${HOST}:10:11`)).to.equal(null);
      // another instance is not held up by this one
      expect((await r.claimNextRunJob(`${HOST}:20:`, `${HOST}:20:21`))?.id).to.equal('r-other');
      await r.updateRunJob('r-a', { state: 'succeeded' });
      expect((await r.claimNextRunJob(`${HOST}:10:`, `${HOST}:10:11`))?.id).to.equal('r-b');
      expect((await r.listRunJobs()).map((j) => j.id).sort()).to.deep.equal(['r-a', 'r-b', 'r-other']);
      expect(await r.listRunJobs({ model: 'nosuch' })).to.deep.equal([]);
    });

    it('marks jobs of dead processes of this host failed with a reason, leaves live ones and other hosts alone', async () => {
      await r.createRunJob(job('r-dead-run', `${HOST}:10:11`));
      await r.updateRunJob('r-dead-run', { state: 'running' });
      await r.createRunJob(job('r-dead-queue', `${HOST}:10:11`));
      await r.createRunJob(job('r-live', `${HOST}:30:31`));
      await r.updateRunJob('r-live', { state: 'running' });
      await r.createRunJob(job('r-elsewhere', 'host-b:10:11'));
      const alive = (pid: number) => pid === 30 || pid === 31;
      const out = await r.failOrphanedRunJobs(HOST, alive);
      expect(out.failed.sort()).to.deep.equal(['r-dead-queue', 'r-dead-run']);
      const failed = await r.getRunJob('r-dead-run');
      expect(failed).to.include({ state: 'failed', errorCode: 'INTERNAL' });
      expect(failed.error).to.match(/server stopped .* while this run was executing; nothing was saved/);
      expect((await r.getRunJob('r-live')).state).to.equal('running');
      expect((await r.getRunJob('r-elsewhere')).state).to.equal('queued');
    });

    it('host and group prefixes match exactly: `_`, `%` and letter case in a host name are not wildcards', async () => {
      // Before: LIKE 'web_1:10:%' also took jobs of host webX1 (and on SQLite of WEB_1).
      await r.createRunJob(job('r-mine', 'web_1:10:11'));
      await r.createRunJob(job('r-x', 'webX1:10:11'));
      await r.createRunJob(job('r-upper', 'WEB_1:10:11'));
      await r.createRunJob(job('r-pct', 'a%b:10:11'));
      expect(await r.queuedRunJobs('web_1:10:')).to.equal(1);
      expect(await r.queuedRunJobs('a%:10:')).to.equal(0);
      expect((await r.claimNextRunJob('web_1:10:', 'web_1:10:12'))?.id).to.equal('r-mine');
      // webX1's job is not held up by web_1's running one, nor claimed by web_1
      expect(await r.claimNextRunJob('web_1:10:', 'web_1:10:12')).to.equal(null);
      expect((await r.claimNextRunJob('webX1:10:', 'webX1:10:12'))?.id).to.equal('r-x');
      const out = await r.failOrphanedRunJobs('web_1', () => false);
      expect(out.failed).to.deep.equal(['r-mine']);
      expect((await r.getRunJob('r-upper')).state).to.equal('queued');
      expect((await r.getRunJob('r-pct')).state).to.equal('queued');
      expect(await r.queuedRunJobs('a%b:10:')).to.equal(1);
    });

    it('job writes leave the model-state token alone (servers do not reload for them)', async () => {
      const before = await r.modelStateToken();
      await r.createRunJob(job('r-e', `${HOST}:10:11`));
      await r.updateRunJob('r-e', { state: 'running', phase: 'scoring', rowsRead: 10, percent: 50 });
      await r.requestRunCancel('r-e');
      await r.failOrphanedRunJobs(HOST, () => false);
      expect((await r.getRunJob('r-e')).state).to.equal('failed');
      expect(await r.modelStateToken()).to.equal(before);
    });
  });

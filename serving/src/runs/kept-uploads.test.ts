import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunFolder, keepUpload, keptUpload, runsBaseDir, sweepKeptUploads } from './run-files.js';
import { trainArgs } from './train-job.js';
import { startTestServer, tempRegistry } from '../test-support/fixtures.js';

const HOUR = 3_600_000;

/**
 * Uploads kept after their run so a new version can be trained on them from the run page: kept
 * under `kept-<run id>` for the configured time, said to be gone after it, deleted by the sweep.
 */
describe('kept uploads (retraining from a run page)', () => {
  let root: string;
  let base: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'rfm-kept-'));
    base = runsBaseDir(root);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function savedRun(id: string): string {
    const dir = createRunFolder(base, process.pid, id);
    writeFileSync(join(dir, 'export.csv'), 'Invoice,Customer ID\n1,2\n');
    return dir;
  }

  it('keeps the upload of a run for the keeping time, then says none and the sweep deletes it', () => {
    const dir = savedRun('r-20261130-0000aaaa');
    const t0 = Date.now();
    expect(keepUpload(base, dir, 'r-20261130-0000aaaa')).to.equal(true);
    const kept = keptUpload(base, 'r-20261130-0000aaaa', 24 * HOUR, t0 + HOUR);
    expect(kept?.file).to.equal(join(base, 'kept-r-20261130-0000aaaa', 'export.csv'));
    expect(kept!.until.getTime() - t0).to.be.within(24 * HOUR - 5000, 24 * HOUR + 5000);
    // past the time: gone for the page even before a sweep, and the sweep deletes it
    expect(keptUpload(base, 'r-20261130-0000aaaa', 24 * HOUR, t0 + 25 * HOUR)).to.equal(null);
    expect(sweepKeptUploads(base, 24 * HOUR, t0 + HOUR)).to.deep.equal([]);
    expect(sweepKeptUploads(base, 24 * HOUR, t0 + 25 * HOUR)).to.deep.equal(['kept-r-20261130-0000aaaa']);
    expect(existsSync(join(base, 'kept-r-20261130-0000aaaa'))).to.equal(false);
  });

  it('the sweep leaves run folders and younger kept uploads alone; 0 hours deletes every kept upload', () => {
    savedRun('r-20261130-0000bbbb');
    keepUpload(base, savedRun('r-20261130-0000cccc'), 'r-20261130-0000cccc');
    keepUpload(base, savedRun('r-20261130-0000dddd'), 'r-20261130-0000dddd');
    const old = new Date(Date.now() - 30 * HOUR);
    utimesSync(join(base, 'kept-r-20261130-0000dddd'), old, old);
    expect(sweepKeptUploads(base, 24 * HOUR)).to.deep.equal(['kept-r-20261130-0000dddd']);
    expect(sweepKeptUploads(base, 0)).to.deep.equal(['kept-r-20261130-0000cccc']);
    // the run folders (removed by the queue when their run ends, not by this sweep) are untouched
    expect(readdirSync(base).sort()).to.deep.equal(
      ['bbbb', 'cccc', 'dddd'].map((x) => `${process.pid}-r-20261130-0000${x}`),
    );
  });

  it('rfm train is asked to read the export as the run did (mapping, date format, snapshot)', () => {
    expect(
      trainArgs('/x/export.csv', {
        kind: 'train',
        source: 'r-1',
        k: 'auto',
        read: { columns: { customer: 'Shopper', date: 'Placed' }, dateFormat: '%d/%m/%Y', asOf: '2011-12-10' },
      }),
    ).to.deep.equal([
      '/x/export.csv',
      '--k',
      'auto',
      '--json',
      '--progress-json',
      '--columns',
      'customer=Shopper,date=Placed',
      '--date-format',
      '%d/%m/%Y',
      '--as-of',
      '2011-12-10',
    ]);
    expect(() =>
      trainArgs('/x/export.csv', { kind: 'train', source: 'r-1', k: 4, read: { columns: { customer: 'Id, shop' } } }),
    ).to.throw(/"Id, shop" has a comma/);
  });

  it('a server deletes kept uploads past their time when it starts, and keeps the younger ones', async function () {
    this.timeout(30_000);
    keepUpload(base, savedRun('r-20261130-0000eeee'), 'r-20261130-0000eeee');
    keepUpload(base, savedRun('r-20261130-0000ffff'), 'r-20261130-0000ffff');
    const old = new Date(Date.now() - 3 * HOUR);
    utimesSync(join(base, 'kept-r-20261130-0000eeee'), old, old);
    const t = tempRegistry();
    const s = await startTestServer(t.file, { runUploadKeepHours: 2 }, { runs: { tempRoot: root } });
    try {
      expect(existsSync(join(base, 'kept-r-20261130-0000eeee')), 'older than 2 h').to.equal(false);
      expect(existsSync(join(base, 'kept-r-20261130-0000ffff'))).to.equal(true);
    } finally {
      await s.close();
      t.cleanup();
    }
  });
});

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Registry } from '@rfm/registry';
import { ROOT, tempDir } from '../support.js';

const LOOP = join(ROOT, 'tests', 'fixtures', 'register-loop.ts');

function runLoop(
  file: string,
  count: number,
  tag: string,
  killAfterMs?: number,
): Promise<{ code: number | null; signal: string | null; versions: number[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=rfm-source', '--import', 'tsx', LOOP, file, String(count), tag],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    let timer: NodeJS.Timeout | undefined;
    // start the clock once the child has committed its first version: kills land mid-registration
    if (killAfterMs !== undefined)
      child.stdout.once('data', () => {
        timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, versions: out.split('\n').filter(Boolean).map(Number), stderr: err });
    });
  });
}

/** Every version row has exactly its artifact and features; nothing half-written. */
function audit(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    return {
      integrity: db.pragma('integrity_check', { simple: true }),
      versions: (db.prepare('SELECT version FROM versions ORDER BY version').all() as { version: number }[]).map(
        (r) => r.version,
      ),
      orphans: db
        .prepare(
          `SELECT (SELECT COUNT(*) FROM versions v WHERE NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.version_id = v.id))
                + (SELECT COUNT(*) FROM versions v WHERE NOT EXISTS (SELECT 1 FROM features f WHERE f.version_id = v.id))
                + (SELECT COUNT(*) FROM artifacts a WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.id = a.version_id))
                + (SELECT COUNT(*) FROM versions v WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.action = 'register' AND e.to_version = v.version)) AS n`,
        )
        .pluck()
        .get() as number,
    };
  } finally {
    db.close();
  }
}

describe('registry under crashes and concurrency (real processes)', function () {
  this.timeout(240_000);

  it('SIGKILL at random points of registration never leaves a partial version (20 kills)', async () => {
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'r.db');
      let committed = 0;
      for (let i = 0; i < 20; i++) {
        const r = await runLoop(file, 1_000_000, `kill${i}`, Math.floor(Math.random() * 120));
        expect(r.signal, r.stderr).to.equal('SIGKILL');
        committed += r.versions.length;
        const a = audit(file);
        expect(a.integrity).to.equal('ok');
        expect(a.orphans).to.equal(0);
        // versions are contiguous from 1: a killed transaction never burns or half-writes a number
        expect(a.versions).to.deep.equal(Array.from({ length: a.versions.length }, (_, j) => j + 1));
        // every version the child reported as committed is there (at most one more: committed, not yet printed)
        expect(a.versions.length - committed).to.be.within(0, i + 1);
      }
      const reg = Registry.open(file);
      expect(reg.verify().every((v) => v.ok)).to.equal(true);
      reg.close();
    } finally {
      tmp.cleanup();
    }
  });

  it('three writers at once all succeed with distinct versions; SQLITE_BUSY never reaches them', async () => {
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'r.db');
      Registry.open(file).close();
      const results = await Promise.all(['a', 'b', 'c'].map((t) => runLoop(file, 15, t)));
      for (const r of results) {
        expect(r.code, r.stderr).to.equal(0);
        expect(r.versions).to.have.length(15);
        expect(r.stderr).to.not.match(/SQLITE_BUSY|locked/);
      }
      const all = results.flatMap((r) => r.versions).sort((x, y) => x - y);
      expect(all).to.deep.equal(Array.from({ length: 45 }, (_, i) => i + 1));
      expect(audit(file)).to.deep.include({ integrity: 'ok', orphans: 0 });
    } finally {
      tmp.cleanup();
    }
  });
});

/**
 * Disk full and read-only registries: training fails cleanly with a message saying which, exit 74
 * (REGISTRY_ERROR), and nothing is half-written (same versions, integrity ok, the next write after
 * the problem is fixed gets the next number).
 *
 * How the conditions are made (CI runs as root, where chmod stops nothing):
 *  - disk full: a real 2 MB tmpfs mounted for the test, filled with a file to leave 0 … 256 kB;
 *    SQLite then meets ENOSPC wherever it happens to write (shared-memory file, WAL, checkpoint).
 *    Also, always (no mount needed): `PRAGMA max_page_count` capping the database, which makes
 *    SQLite raise SQLITE_FULL inside the registration transaction.
 *  - read-only: a read-only bind mount of the registry's folder (EROFS even for root), and the
 *    immutable attribute (`chattr +i`) on the registry file.
 * Mounting needs root (CAP_SYS_ADMIN); without it those cases are skipped, saying so.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from '@rfm/registry';
import { isRfmError } from '@rfm/shared';
import { makeArtifact } from '@rfm/shared/testing';
import { ROOT, rfm, tempDir } from '../support.js';
import { auditRegistry } from './helpers.js';

const MODEL = 'customer-segments';
const GOOD = join(ROOT, 'tests', 'fixtures', 'hostile', 'good.csv');
const features = (n: number) => ({
  cids: Array.from({ length: n }, (_, i) => `c${i}`),
  raw: new Float64Array(n * 3).map((_, i) => 1 + ((i * 7919) % 1000)),
});

const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });
function canMount(dir: string): boolean {
  if (process.getuid?.() !== 0) return false;
  const ok = sh('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]).status === 0;
  if (ok) sh('umount', [dir]);
  return ok;
}

async function newRegistry(file: string): Promise<void> {
  const reg = await Registry.open(file);
  await reg.register({
    modelName: MODEL,
    artifact: makeArtifact({ seed: 1 }),
    actor: 'setup',
    features: features(100),
  });
  await reg.close(); // last connection: WAL checkpointed and removed
}

/** Fill the file system of `dir` so that about `free` bytes stay available. */
function fill(dir: string, free: number): void {
  const s = statfsSync(dir);
  const avail = s.bavail * s.bsize;
  writeFileSync(join(dir, 'filler'), Buffer.alloc(Math.max(0, avail - free)));
}

const trainArgs = (registry: string) => [
  'train',
  GOOD,
  '--registry',
  registry,
  '--k',
  '2',
  '--n-init',
  '1',
  '--seed',
  '1',
];

describe('disk full and read-only registry', function () {
  this.timeout(300_000);
  let tmp: ReturnType<typeof tempDir>;
  let mnt: string;
  let mountable = false;

  before(async function () {
    tmp = tempDir('rfm-disk-');
    mnt = join(tmp.dir, 'mnt');
    mkdirSync(mnt);
    mountable = canMount(mnt);
    if (!mountable)
      console.log('      (not root or no CAP_SYS_ADMIN: the tmpfs and read-only mount cases are skipped)');
  });
  after(async () => {
    while (mountable && sh('umount', [mnt]).status === 0); // nothing may stay mounted
    tmp?.cleanup();
  });
  /** Unmount, failing loudly: a busy mount (an open file) would stack the next case on top of it. */
  const unmount = () => {
    const r = sh('umount', [mnt]);
    expect(r.status, `umount ${mnt}: ${r.stderr}`).to.equal(0);
  };

  it('SQLITE_FULL inside the registration transaction (PRAGMA max_page_count): REGISTRY_ERROR "is full", nothing written, next number unburnt', async () => {
    const file = join(tmp.dir, 'capped.db');
    await newRegistry(file);
    const reg = await Registry.open(file);
    try {
      const pages = reg.sqliteForTests().pragma('page_count', { simple: true }) as number;
      reg.sqliteForTests().pragma(`max_page_count = ${pages + 3}`);
      let err: unknown;
      try {
        await reg.register({
          modelName: MODEL,
          artifact: makeArtifact({ seed: 2 }),
          actor: 'capped',
          features: features(20_000),
        });
      } catch (e) {
        err = e;
      }
      expect(isRfmError(err) && err.code).to.equal('REGISTRY_ERROR');
      expect((err as Error).message).to.equal(
        // never the path in the registry's own message (#14 item 11); the CLI adds it
        'registry is full (a size limit was reached, though the disk has room); nothing was written',
      );
      expect((err as { cause?: { code?: string } }).cause?.code).to.equal('SQLITE_FULL');
      expect((await reg.list(MODEL)).map((v) => v.version)).to.deep.equal([1]);
    } finally {
      await reg.close();
    }
    expect(auditRegistry(file)).to.deep.equal({ integrity: 'ok', versions: [1], orphans: 0 });
    const again = await Registry.open(file);
    expect(
      (
        await again.register({
          modelName: MODEL,
          artifact: makeArtifact({ seed: 3 }),
          actor: 'after',
          features: features(20_000),
        })
      ).version,
    ).to.equal(2);
    await again.close();
  });

  it('a real full disk (tmpfs), 0 bytes free: rfm train exits 74 "disk full", registry unchanged', async function () {
    if (!mountable) this.skip();
    expect(sh('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]).status).to.equal(0);
    try {
      const file = join(mnt, 'registry.db');
      await newRegistry(file);
      fill(mnt, 0);
      const r = await rfm(trainArgs(file));
      expect(r.code, r.stderr).to.equal(74);
      expect(r.stderr).to.match(
        /^rfm: REGISTRY_ERROR: registry .*registry\.db: disk full \(0 bytes free\); nothing was written\n$/,
      );
      rmSync(join(mnt, 'filler'));
      expect(auditRegistry(file)).to.deep.equal({ integrity: 'ok', versions: [1], orphans: 0 });
    } finally {
      unmount();
    }
  });

  it('a real full disk at every point of the write (free space 0–256 kB): each registration completes or fails "disk full" with nothing written', async function () {
    if (!mountable) this.skip();
    const outcomes: string[] = [];
    let failed = 0;
    let done = 0;
    for (let free = 0; free <= 256 * 1024; free += 8 * 1024) {
      expect(sh('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]).status).to.equal(0);
      try {
        const file = join(mnt, 'registry.db');
        await newRegistry(file);
        fill(mnt, free);
        let outcome = 'registered v2';
        try {
          const reg = await Registry.open(file);
          try {
            await reg.register({
              modelName: MODEL,
              artifact: makeArtifact({ seed: 2 }),
              actor: 'full',
              features: features(5_000),
            });
          } finally {
            await reg.close();
          }
          done++;
        } catch (e) {
          expect(isRfmError(e) && e.code, String(e)).to.equal('REGISTRY_ERROR');
          expect((e as Error).message, `${free} bytes free`).to.match(
            /disk full( \([\d,]+ bytes free\))?; nothing was written$/,
          );
          outcome = `failed (${String((e as { cause?: { code?: string } }).cause?.code)})`;
          failed++;
        }
        outcomes.push(`${free / 1024}k:${outcome}`);
        rmSync(join(mnt, 'filler'));
        const a = auditRegistry(file);
        expect(a.integrity, `${free} bytes free`).to.equal('ok');
        expect(a.orphans, `${free} bytes free`).to.equal(0);
        expect(a.versions, `${free} bytes free: ${outcome}`).to.deep.equal(outcome === 'registered v2' ? [1, 2] : [1]);
        // with space again, the next registration takes the next number
        const reg = await Registry.open(file);
        expect(
          (
            await reg.register({
              modelName: MODEL,
              artifact: makeArtifact({ seed: 3 }),
              actor: 'after',
              features: features(100),
            })
          ).version,
        ).to.equal(a.versions.length + 1);
        expect((await reg.verify(MODEL)).every((v) => v.ok)).to.equal(true);
        await reg.close();
      } finally {
        unmount();
      }
    }
    const byCause = new Map<string, string[]>();
    for (const o of outcomes) {
      const [size, what] = o.split(':') as [string, string];
      byCause.set(what, [...(byCause.get(what) ?? []), size]);
    }
    console.log(
      `      ${outcomes.length} free-space sizes: ${failed} failed cleanly, ${done} registered — ${[...byCause].map(([what, sizes]) => `${what}: ${sizes[0]}–${sizes.at(-1)}`).join('; ')}`,
    );
    expect(failed, 'some sizes must be too small').to.be.greaterThan(2);
    expect(done, 'the largest sizes must suffice').to.be.greaterThan(0);
  });

  it('a registry on a read-only mount: rfm train exits 74 "read-only file system", nothing written', async function () {
    if (!mountable) this.skip();
    const src = join(tmp.dir, 'ro-src');
    mkdirSync(src);
    const file = join(src, 'registry.db');
    await newRegistry(file);
    expect(sh('mount', ['--bind', src, mnt]).status).to.equal(0);
    try {
      expect(sh('mount', ['-o', 'remount,bind,ro', mnt]).status).to.equal(0);
      const r = await rfm(trainArgs(join(mnt, 'registry.db')));
      expect(r.code, r.stderr).to.equal(74);
      expect(r.stderr).to.match(
        /^rfm: REGISTRY_ERROR: registry .*registry\.db is on a read-only file system; nothing was written\n$/,
      );
    } finally {
      unmount();
    }
    expect(auditRegistry(file)).to.deep.equal({ integrity: 'ok', versions: [1], orphans: 0 });
  });

  it('an immutable registry file (chattr +i, which stops root too): rfm train exits 74 "read-only", nothing written', async function () {
    const dir = join(tmp.dir, 'immutable');
    mkdirSync(dir);
    const file = join(dir, 'registry.db');
    await newRegistry(file);
    const backup = join(tmp.dir, 'immutable-backup.db');
    copyFileSync(file, backup);
    if (sh('chattr', ['+i', file]).status !== 0) this.skip(); // file system without attributes
    try {
      const r = await rfm(trainArgs(file));
      expect(r.code, r.stderr).to.equal(74);
      expect(r.stderr).to.match(/^rfm: REGISTRY_ERROR: registry .*registry\.db is read-only; nothing was written\n$/);
    } finally {
      sh('chattr', ['-i', file]);
    }
    expect(auditRegistry(file)).to.deep.equal({ integrity: 'ok', versions: [1], orphans: 0 });
  });
});

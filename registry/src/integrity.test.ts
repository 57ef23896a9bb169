/**
 * #14 items 2–6 on both back ends: verified promotions, numbers that only go up, migrations
 * under the lock and read-only paths, busy registrations that wait instead of failing, and
 * export files treated as untrusted input.
 */
import { expect } from 'chai';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { sha256Hex, type ArtifactV1 } from '@rfm/shared';
import { makeArtifact } from '@rfm/shared/testing';
import { Registry, SCHEMA_VERSION } from './index.js';
import { BACKENDS, rejects, tamperArtifact } from './test-support/index.js';

const M = 'customer-segments';
const by = { actor: 'ana', reason: 'test' };

function customers(n: number) {
  const cids: string[] = [];
  const raw = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    cids.push(`c${i}`);
    raw[3 * i] = 1 + ((i * 37) % 365);
    raw[3 * i + 1] = 1 + ((i * 7) % 20);
    raw[3 * i + 2] = 50 + ((i * 997) % 8000);
  }
  return { cids, raw };
}

const withSil = (s: number, seed = 1): ArtifactV1 => {
  const a = makeArtifact({ seed });
  return { ...a, metrics: { ...a.metrics, silhouette: s } };
};

/** Rewrite an export file's payload and recompute its checksum, as an attacker would. */
function forge(file: Buffer, edit: (p: any) => void): Buffer {
  const j = JSON.parse(file.toString('utf8'));
  edit(j.payload);
  const body = JSON.stringify(j.payload);
  return Buffer.from(
    `{"format":"${j.format}","format_version":1,"payload_sha256":"${sha256Hex(body)}","payload":${body}}\n`,
  );
}

for (const backend of BACKENDS)
  describe(`registry integrity, #14 items 2–6 (${backend.name})`, () => {
    let loc: string;
    let reg: Registry;
    before(async function () {
      await backend.setup(this);
    });
    beforeEach(async () => {
      loc = await backend.fresh();
      reg = await Registry.open(loc);
    });
    afterEach(async () => reg.close());
    after(() => backend.cleanup());

    it('item 2: promote, alias set and forced promote refuse a damaged artifact (ARTIFACT_CORRUPT); nothing moves', async () => {
      await reg.register({ modelName: M, artifact: withSil(0.4), actor: 'a' });
      await reg.register({ modelName: M, artifact: withSil(0.4, 2), actor: 'a' });
      await tamperArtifact(loc, M, 2, (s) => s.replace('"k":4', '"k":5'));
      await rejects(reg.promote(M, 2, by), /checksum mismatch/, 'ARTIFACT_CORRUPT');
      await rejects(reg.promote(M, 2, { ...by, force: true }), /checksum mismatch/, 'ARTIFACT_CORRUPT');
      await rejects(reg.setAlias(M, 'staging', 2, by), /checksum mismatch/, 'ARTIFACT_CORRUPT');
      await rejects(reg.setAlias(M, 'production', 2, by), /checksum mismatch/, 'ARTIFACT_CORRUPT');
      expect(await reg.resolveAlias(M, 'production')).to.equal(1);
      expect(await reg.resolveAlias(M, 'staging')).to.equal(null);
      expect((await reg.history(M, { alias: 'production' })).length).to.equal(1);
    });

    it('item 2: rollback skips archived, deleted and damaged targets, says so, and lands on the next good one', async () => {
      for (let i = 1; i <= 5; i++) await reg.register({ modelName: M, artifact: withSil(0.4, i), actor: 'a' });
      for (const v of [2, 3, 4, 5]) await reg.promote(M, v, by); // history: 1→2→3→4→5
      await reg.archive(M, 4, by);
      await reg.deleteVersion(M, 3, by);
      await tamperArtifact(loc, M, 2, (s) => s.replace('"k":4', '"k":5'));
      const back = await reg.rollback(M, by);
      expect(back).to.include({ from: 5, to: 1 });
      expect(back.skipped).to.deep.equal([
        { version: 4, why: 'archived' },
        { version: 3, why: 'deleted' },
        { version: 2, why: 'artifact damaged' },
      ]);
      // the moves passed over count as undone: nothing earlier is left
      await rejects(reg.rollback(M, by), /nothing to roll back|no earlier version/);
    });

    it('item 3: deleting the newest version never frees its number; history keeps the sha256', async () => {
      await reg.register({ modelName: M, artifact: withSil(0.4, 1), actor: 'a' });
      const v2 = await reg.register({ modelName: M, artifact: withSil(0.4, 2), actor: 'a' });
      await reg.deleteVersion(M, 2, by);
      const v3 = await reg.register({ modelName: M, artifact: withSil(0.4, 3), actor: 'a' });
      expect(v3.version).to.equal(3); // was 2 (MAX + 1) before
      await reg.deleteVersion(M, 3, by);
      expect((await reg.register({ modelName: M, artifact: withSil(0.4, 4), actor: 'a' })).version).to.equal(4);
      const del = (await reg.history(M)).find((e) => e.action === 'delete' && e.fromVersion === 2);
      expect(del).to.not.equal(undefined);
      expect(v2.sha256).to.not.equal(v3.sha256);
    });

    it('item 4: two processes opening a fresh registry at once both succeed, migrated once', async () => {
      const fresh = await backend.fresh();
      const all = await Promise.all(Array.from({ length: 4 }, () => Registry.open(fresh)));
      for (const r of all) expect(await r.schemaVersion()).to.equal(SCHEMA_VERSION);
      await Promise.all(all.map((r) => r.close()));
    });

    it('item 6: an import is a candidate, never production, even into an empty registry; --promote goes through the policy', async () => {
      await reg.register({ modelName: M, artifact: withSil(0.4), actor: 'a', features: customers(300) });
      const file = await reg.exportVersion(M, 1);
      const other = await Registry.open(await backend.fresh());
      try {
        const res = await other.importVersion(file, { actor: 'bo' });
        expect(res.aliases).to.deep.equal([]);
        expect(await other.resolveAlias(M, 'production')).to.equal(null);
        await other.setPolicy(M, { min_customers: 1000 }, by);
        await rejects(other.importVersion(file, { actor: 'bo', promote: true }), /refused by policy/, 'POLICY_REFUSED');
        expect((await other.list(M)).map((v) => v.version)).to.deep.equal([1]); // the refused import rolled back whole
      } finally {
        await other.close();
      }
    });

    it('item 6: forged files with recomputed checksums are refused: names, k, lengths, inflation; metrics recomputed', async () => {
      await reg.register({ modelName: M, artifact: withSil(0.4), actor: 'a', features: customers(300) });
      const file = await reg.exportVersion(M, 1);
      const target = await Registry.open(await backend.fresh());
      try {
        const cases: [string, (p: any) => void, RegExp][] = [
          ['duplicate label', (p) => (p.labels = { 0: 'Champions', 1: 'champions' }), /unique within a version/],
          ['formula-like but long name', (p) => (p.labels = { 0: 'x'.repeat(100) }), /1–64 characters|too_big|200/],
          ['control characters', (p) => (p.labels = { 0: 'VIP\u0007' }), /control characters/],
          ['label for a cluster that does not exist', (p) => (p.labels = { 9: 'Ghosts' }), /clusters 0–3/],
          ['100k-character description', (p) => (p.description = 'd'.repeat(100_000)), /description/],
          ['bad tag key', (p) => (p.tags = { 'a b': 'x' }), /invalid tag key/],
          [
            'features that inflate past the limit',
            (p) =>
              (p.features = {
                encoding: 'rfm-f64-gzip-v1',
                base64: gzipSync(Buffer.alloc(600 * 1024 * 1024)).toString('base64'),
              }),
            /inflate past/,
          ],
        ];
        for (const [what, edit, re] of cases)
          await rejects(target.importVersion(forge(file, edit), { actor: 'x' }), re);
        expect(await target.models()).to.deep.equal([]);
        // a claimed silhouette of 0.99 is replaced by the one recomputed on the stored customers
        const lie = forge(file, (p) => {
          const art = JSON.parse(Buffer.from(p.artifact_base64, 'base64').toString('utf8'));
          art.metrics.silhouette = 0.99;
          const bytes = Buffer.from(JSON.stringify(art));
          p.artifact_base64 = bytes.toString('base64');
          p.artifact_sha256 = sha256Hex(bytes);
        });
        await target.importVersion(lie, { actor: 'x' });
        const v = await target.get(M, 1);
        expect(v.metrics.silhouette).to.be.a('number').and.not.equal(0.99);
        expect(v.data.customers).to.equal(300);
        // unknown feature encodings are left out, and then the claimed silhouette is not trusted
        await target.importVersion(
          forge(file, (p) => (p.features = { encoding: 'evil-v9', base64: 'AAAA' })),
          { actor: 'x' },
        );
        expect(await target.features(M, 2)).to.equal(null);
        expect((await target.get(M, 2)).metrics.silhouette).to.equal(null);
      } finally {
        await target.close();
      }
    });

    it('item 6: with RFM_EXPORT_KEY, exports are signed and unsigned or wrongly signed imports are refused', async () => {
      await reg.register({ modelName: M, artifact: withSil(0.4), actor: 'a', features: customers(50) });
      const unsigned = await reg.exportVersion(M, 1);
      process.env.RFM_EXPORT_KEY = 'k'.repeat(32);
      try {
        const signed = await reg.exportVersion(M, 1);
        expect(JSON.parse(signed.toString()).signature).to.match(/^[0-9a-f]{64}$/);
        await rejects(reg.importVersion(unsigned, { actor: 'x' }), /not signed/, 'UNAUTHORIZED');
        await rejects(
          reg.importVersion(
            forge(signed, (p) => (p.description = 'x')),
            { actor: 'x' },
          ),
          /not signed|signature/,
        );
        expect((await reg.importVersion(signed, { actor: 'x' })).version).to.equal(2);
        process.env.RFM_EXPORT_KEY = 'another-key-another-key-another-k';
        await rejects(reg.importVersion(signed, { actor: 'x' }), /signature does not match/, 'UNAUTHORIZED');
      } finally {
        delete process.env.RFM_EXPORT_KEY;
      }
    });
  });

describe('registry integrity, SQLite specifics (#14 items 4, 5)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rfm-int-'));
  });
  afterEach(() => {
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
  });

  it('item 5: a 100k-customer registration waits out a write lock held past the busy timeout, then lands', async function () {
    this.timeout(60_000);
    const file = join(dir, 'r.db');
    await (await Registry.open(file)).close();
    const reg = await Registry.open(file, { busyTimeoutMs: 300 });
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE'); // another process holds the write lock …
    holder.prepare("INSERT INTO models (name, created_at) VALUES ('holder', 'x')").run();
    const t0 = Date.now();
    const landing = reg.register({ modelName: M, artifact: withSil(0.4), actor: 'a', features: customers(100_000) });
    await new Promise((r) => setTimeout(r, 1500)); // … five busy timeouts long
    holder.exec('COMMIT');
    holder.close();
    const res = await landing; // was: REGISTRY_ERROR "stayed locked", the finished model lost
    expect(res.version).to.equal(1);
    expect(Date.now() - t0).to.be.greaterThan(1400);
    expect((await reg.features(M, 1))!.cids).to.have.length(100_000);
    await reg.close();
  });

  it('item 4: read-only paths work on a read-only registry and never migrate it', async () => {
    const file = join(dir, 'r.db');
    const w = await Registry.open(file);
    await w.register({ modelName: M, artifact: withSil(0.4), actor: 'a' });
    await w.close();
    chmodSync(file, 0o444);
    chmodSync(dir, 0o555);
    if (process.getuid?.() === 0) return; // root ignores file modes; the CLI test on a read-only mount covers root
    const ro = await Registry.openReadOnly(file);
    expect((await ro.list(M)).map((v) => v.version)).to.deep.equal([1]);
    await ro.close();
  });
});

import { expect } from 'chai';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeArtifact } from '@rfm/shared/testing';
import type { RfmError, ArtifactV1 } from '@rfm/shared';
import { Registry, SCHEMA_VERSION } from './index.js';
import { BACKENDS, rejects, tamperArtifact, withRawDb } from './test-support/index.js';

const M = 'customer-segments';
const by = { actor: 'ana', reason: 'because' };
const here = dirname(fileURLToPath(import.meta.url));

function withSilhouette(s: number, seed = 1): ArtifactV1 {
  const a = makeArtifact({ seed });
  return { ...a, metrics: { ...a.metrics, silhouette: s } };
}

/** Customers spread over the fixture's segments: raw recency, frequency, monetary. */
function customers(n: number) {
  const cids: string[] = [];
  const raw = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    cids.push(String(10000 + i));
    raw[3 * i] = 1 + ((i * 37) % 365);
    raw[3 * i + 1] = 1 + ((i * 7) % 20);
    raw[3 * i + 2] = 50 + ((i * 997) % 8000);
  }
  return { cids, raw };
}

for (const backend of BACKENDS)
  describe(`registry lifecycle (${backend.name})`, () => {
    let loc: string;
    let reg: Registry;
    before(async function () {
      await backend.setup(this);
    });
    beforeEach(async () => {
      loc = await backend.fresh();
      reg = await Registry.open(loc);
    });
    afterEach(async () => {
      await reg.close();
    });
    after(() => backend.cleanup());

    it('guards promotion: a refusal names every failed rule with its numbers; --force needs a reason and is recorded', async () => {
      await reg.register({ modelName: M, artifact: withSilhouette(0.4), actor: 'ana' });
      await reg.register({ modelName: M, artifact: withSilhouette(0.15, 2), actor: 'ana' });
      await reg.setPolicy(M, { min_silhouette: 0.2, max_silhouette_drop: 0.05 }, by);
      try {
        await reg.promote(M, 2, { actor: 'ana' });
        expect.fail('promotion should be refused');
      } catch (e) {
        const err = e as RfmError;
        expect(err.code).to.equal('POLICY_REFUSED');
        expect(err.message).to.include('silhouette 0.1500 < minimum 0.2000');
        expect(err.message).to.include('vs production v1 0.4000: worse than the allowed drop of 0.0500 (floor 0.3500)');
        expect(err.issues.map((i) => i.path)).to.deep.equal(['min_silhouette', 'max_silhouette_drop']);
      }
      expect(await reg.resolveAlias(M, 'production')).to.equal(1);
      await rejects(reg.promote(M, 2, { actor: 'ana', force: true }), /needs a reason/);
      const forced = await reg.promote(M, 2, { actor: 'ana', force: true, reason: 'hotfix for campaign' });
      expect(forced).to.include({ from: 1, to: 2, forced: true });
      const ev = await withRawDb(loc, (db) =>
        db.selectFrom('events').select('details_json').where('id', '=', forced.eventId).executeTakeFirstOrThrow(),
      );
      expect(JSON.parse(ev.details_json!).forced).to.equal(true);
      expect((await reg.history(M, { alias: 'production' }))[0]).to.include({
        actor: 'ana',
        reason: 'hotfix for campaign',
        toVersion: 2,
      });
    });

    it('any alias: set, delete, and rollback of a delete restores it; a version holding an alias cannot be archived or deleted', async () => {
      await reg.register({ modelName: M, artifact: withSilhouette(0.4), actor: 'ana' });
      await reg.register({ modelName: M, artifact: withSilhouette(0.4, 2), actor: 'ana' });
      await reg.setAlias(M, 'staging', 2, by);
      expect((await reg.models())[0]!.aliases).to.deep.equal({ production: 1, staging: 2 });
      await rejects(reg.archive(M, 2, by), /holds alias "staging"/);
      await rejects(reg.deleteVersion(M, 1, by), /holds alias "production"/);
      await rejects(reg.deleteAlias(M, 'production', by), /cannot be deleted/);
      expect(await reg.deleteAlias(M, 'staging', by)).to.deep.equal({ modelName: M, alias: 'staging', from: 2 });
      expect(await reg.resolveAlias(M, 'staging')).to.equal(null);
      expect(await reg.rollback(M, { ...by, alias: 'staging' })).to.include({ from: null, to: 2 });
      expect(await reg.resolveAlias(M, 'staging')).to.equal(2);
    });

    it('archive, unarchive, delete and gc are events; gc keeps the newest N candidates without aliases', async () => {
      for (let i = 0; i < 6; i++) await reg.register({ modelName: M, artifact: withSilhouette(0.4, i), actor: 'ana' });
      await reg.setAlias(M, 'staging', 2, by);
      expect(await reg.gc(M, 2, { actor: 'ops' })).to.deep.equal([3, 4]);
      expect((await reg.list(M)).map((v) => `${v.version}:${v.status}`)).to.deep.equal([
        '1:candidate',
        '2:candidate',
        '3:archived',
        '4:archived',
        '5:candidate',
        '6:candidate',
      ]);
      await rejects(reg.setAlias(M, 'challenger', 3, by), /archived/);
      await reg.unarchive(M, 3, by);
      await reg.deleteVersion(M, 4, by);
      expect((await reg.list(M)).map((v) => v.version)).to.deep.equal([1, 2, 3, 5, 6]);
      expect((await reg.register({ modelName: M, artifact: withSilhouette(0.4, 9), actor: 'ana' })).version).to.equal(
        7,
      );
      const actions = (await reg.history(M)).map((e) => e.action);
      expect(actions.filter((a) => a === 'archive')).to.have.length(2);
      expect(actions).to.include.members(['unarchive', 'delete']);
    });

    it('relabels a segment per version without changing the artifact; names stay unique; tags and descriptions are events', async () => {
      const v = await reg.register({ modelName: M, artifact: withSilhouette(0.4), actor: 'ana' });
      const before = await reg.loadModel(M, 1);
      const old = before.artifact.segments[0]!.name;
      expect(await reg.relabel(M, 1, 0, 'VIP', by)).to.deep.equal({ cluster: 0, from: old, to: 'VIP' });
      const after = await reg.loadModel(M, 1);
      expect(after.artifact.segments[0]!.name).to.equal('VIP');
      expect(after.sha256).to.equal(v.sha256);
      expect(after.revision).to.not.equal(before.revision);
      await rejects(reg.relabel(M, 1, 1, 'vip', by), /already named "VIP"/);
      await rejects(reg.relabel(M, 1, 9, 'X', by), /no cluster 9/);
      await reg.setTag(M, 1, 'campaign', 'xmas', by);
      await reg.setDescription(M, 1, 'first cut', by);
      expect(await reg.tags(M, 1)).to.deep.equal({ campaign: 'xmas' });
      expect((await reg.get(M, 1)).description).to.equal('first cut');
      expect((await reg.history(M)).slice(0, 3).map((e) => e.action)).to.deep.equal(['describe', 'tag', 'relabel']);
    });

    it('compares two versions: metrics, centroid shift and the ARI of assignments on the newer version customers', async () => {
      await reg.register({ modelName: M, artifact: withSilhouette(0.4), actor: 'ana', features: customers(500) });
      await reg.register({ modelName: M, artifact: withSilhouette(0.4, 2), actor: 'ana', features: customers(500) });
      const moved = makeArtifact({
        seed: 3,
        centroids: [
          [-1.2, 1.1, 1.2],
          [1.3, -0.9, -1.0],
          [-0.6, -0.5, -0.4],
          [0.9, 0.1, 0.2],
        ],
      });
      await reg.register({ modelName: M, artifact: moved, actor: 'ana', features: customers(800) });
      const same = await reg.compare(M, 1, 2);
      expect(same.assignments!.ari).to.equal(1);
      expect(same.assignments!.changed_segment).to.equal(0);
      expect(same.centroid_shift.every((s) => s.distance < 1e-9)).to.equal(true);
      const diff = await reg.compare(M, 1, 3);
      expect(diff.assignments!.customers).to.equal(800);
      expect(diff.assignments!.ari).to.be.lessThan(1).and.greaterThan(0.3);
      expect(diff.assignments!.changed_segment).to.be.greaterThan(0);
      expect(diff.assignments!.transitions.reduce((s, t) => s + t.customers, 0)).to.equal(800);
      expect(diff.centroid_shift.find((s) => s.b_cluster === 3)!.distance).to.be.closeTo(
        Math.hypot(0.3, 0.3, 0.3),
        1e-9,
      );
    });

    it('export → import into another registry keeps artifact, labels, tags and features; a damaged file is refused and nothing is written', async () => {
      await reg.register({
        modelName: M,
        artifact: withSilhouette(0.4),
        actor: 'ana',
        features: customers(50),
        tags: { country: 'UK' },
      });
      await reg.relabel(M, 1, 2, 'Window Shoppers', by);
      const file = await reg.exportVersion(M, 1);
      const other = await Registry.open(await backend.fresh());
      try {
        await other.register({ modelName: M, artifact: withSilhouette(0.5, 5), actor: 'bo' });
        const res = await other.importVersion(file, { actor: 'bo' });
        expect(res.version).to.equal(2);
        expect(res.sha256).to.equal((await reg.get(M, 1)).artifact.sha256);
        expect((await other.loadModel(M, 2)).artifact.segments[2]!.name).to.equal('Window Shoppers');
        expect(await other.tags(M, 2)).to.deep.equal({ country: 'UK' });
        expect((await other.features(M, 2))!.cids).to.have.length(50);
        expect((await other.history(M))[0]!.action).to.equal('import');
        const tampered = Buffer.from(file.toString().replace('"country":"UK"', '"country":"FR"'));
        await rejects(other.importVersion(tampered, { actor: 'bo', fileLabel: 'x.rfm' }), /x.rfm: checksum mismatch/);
        await rejects(other.importVersion(Buffer.from('garbage'), { actor: 'bo' }), /not an rfm model export/);
        expect(await other.list(M)).to.have.length(2);
      } finally {
        await other.close();
      }
    });

    it('verify reports exactly the damaged versions', async () => {
      await reg.register({ modelName: M, artifact: withSilhouette(0.4), actor: 'ana' });
      await reg.register({ modelName: M, artifact: withSilhouette(0.4, 2), actor: 'ana' });
      await tamperArtifact(loc, M, 2, (s) => s.replace('Champions', 'Chompions'));
      const report = await reg.verify();
      expect(report.map((r) => r.ok)).to.deep.equal([true, false]);
      expect(report[1]!.error).to.match(/checksum mismatch/);
    });
  });

describe('registry lifecycle (sqlite only)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rfm-life-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('upgrades the shipped schema v1 fixture in place, keeping its versions, aliases and history', async () => {
    const file = join(dir, 'old.db');
    copyFileSync(join(here, '..', 'fixtures', 'registry-schema-v1.db'), file);
    const old = await Registry.open(file);
    try {
      expect(await old.schemaVersion()).to.equal(SCHEMA_VERSION);
      expect(await old.resolveAlias(M, 'production')).to.equal(1);
      expect((await old.loadArtifact(M, 1)).data.source.file).to.equal('schema-v1-fixture.csv');
      expect(await old.history(M)).to.have.length(1);
      expect(
        (await old.register({ modelName: M, artifact: withSilhouette(0.4, 3), actor: 'x', features: customers(10) }))
          .version,
      ).to.equal(2);
      expect(await old.integrityCheck()).to.deep.equal(['ok']);
    } finally {
      await old.close();
    }
  });
});

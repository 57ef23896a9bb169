import { expect } from 'chai';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { makeArtifact } from '@rfm/shared/testing';
import { Registry, SCHEMA_VERSION } from './index.js';
import { BACKENDS, rejects, tableCounts, tamperArtifact, withRawDb } from './test-support/index.js';

const M = 'customer-segments';
const by = { actor: 'tester', reason: 'test' };

for (const backend of BACKENDS)
  describe(`registry (${backend.name})`, () => {
    let loc: string;
    before(async function () {
      await backend.setup(this);
    });
    beforeEach(async () => {
      loc = await backend.fresh();
    });
    after(() => backend.cleanup());

    it('numbers versions from 1, makes the first production, later ones candidates unless promoted', async () => {
      const r = await Registry.open(loc);
      const v1 = await r.register({ modelName: M, artifact: makeArtifact(), actor: 'a' });
      const v2 = await r.register({ modelName: M, artifact: makeArtifact({ seed: 7 }), actor: 'a' });
      const v3 = await r.register({ modelName: M, artifact: makeArtifact({ seed: 8 }), actor: 'a', promote: true });
      expect([v1.version, v2.version, v3.version]).to.deep.equal([1, 2, 3]);
      expect(v1.aliases).to.deep.equal(['production']);
      expect(v2.aliases).to.deep.equal([]);
      expect(v3.aliases).to.deep.equal(['production']);
      expect(await r.resolveAlias(M, 'production')).to.equal(3);
      const other = await r.register({ modelName: 'uk-only', artifact: makeArtifact(), actor: 'a' });
      expect(other.version).to.equal(1);
      expect((await r.list(M)).map((v) => v.version)).to.deep.equal([1, 2, 3]);
      await r.close();
    });

    it('is idempotent to open again (migrations ran once) and reports the schema version', async () => {
      await (await Registry.open(loc)).close();
      const again = await Registry.open(loc);
      expect(await again.schemaVersion()).to.equal(SCHEMA_VERSION);
      await again.close();
    });

    it('stores the artifact bytes with their sha256 and reads them back verified; damage is ARTIFACT_CORRUPT', async () => {
      const r = await Registry.open(loc);
      const art = makeArtifact();
      const res = await r.register({ modelName: M, artifact: art, actor: 'a' });
      expect(await r.loadArtifact(M, res.version)).to.deep.equal(art);
      expect((await r.get(M, 1)).artifact.sha256).to.equal(res.sha256);
      // flip one byte behind the registry's back: the load must refuse it, as the registry's fault
      await tamperArtifact(loc, M, 1, (s) => s.replace('"k":4', '"k":5'));
      await rejects(r.loadArtifact(M, 1), /checksum mismatch/, 'ARTIFACT_CORRUPT');
      await r.close();
    });

    it('rolls back one step per call through the alias history, repeatably, and records every move', async () => {
      const r = await Registry.open(loc);
      for (let i = 0; i < 4; i++) await r.register({ modelName: M, artifact: makeArtifact({ seed: i }), actor: 'a' });
      await r.promote(M, 2, by);
      await r.promote(M, 3, by);
      await r.promote(M, 4, by);
      expect(await r.rollback(M, by)).to.include({ from: 4, to: 3 });
      expect(await r.rollback(M, by)).to.include({ from: 3, to: 2 });
      expect(await r.rollback(M, by)).to.include({ from: 2, to: 1 });
      await rejects(r.rollback(M, by), /no version before 1|nothing to roll back/);
      expect(await r.resolveAlias(M, 'production')).to.equal(1);
      // a new promote after rollbacks starts a new step; rolling it back returns to where we were
      await r.promote(M, 4, by);
      expect(await r.rollback(M, by)).to.include({ from: 4, to: 1 });
      const prod = await r.history(M, { alias: 'production' });
      expect(prod.map((e) => `${e.action}:${e.fromVersion}->${e.toVersion}`)).to.deep.equal([
        'rollback:4->1',
        'alias_set:1->4',
        'rollback:2->1',
        'rollback:3->2',
        'rollback:4->3',
        'alias_set:3->4',
        'alias_set:2->3',
        'alias_set:1->2',
        'alias_set:null->1',
      ]);
      expect(prod[0]).to.include({ actor: 'tester', reason: 'test' });
      await r.close();
    });

    it('a failed registration leaves nothing behind', async () => {
      const r = await Registry.open(loc);
      await r.register({ modelName: M, artifact: makeArtifact(), actor: 'a' });
      const bad = makeArtifact();
      (bad as { k: number }).k = 3; // centroids no longer match k: schema refuses it
      await rejects(r.register({ modelName: M, artifact: bad, actor: 'a' }), /invalid artifact/);
      // a failure inside the transaction (a trigger aborts the artifact insert) rolls back the version row too
      await withRawDb(loc, async (db, kind) => {
        if (kind === 'sqlite')
          await sql`CREATE TRIGGER fail_artifact BEFORE INSERT ON artifacts BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`.execute(
            db,
          );
        else {
          await sql`CREATE FUNCTION fail_artifact() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$`.execute(
            db,
          );
          await sql`CREATE TRIGGER fail_artifact BEFORE INSERT ON artifacts FOR EACH ROW EXECUTE FUNCTION fail_artifact()`.execute(
            db,
          );
        }
      });
      await rejects(r.register({ modelName: 'second', artifact: makeArtifact(), actor: 'a' }), /disk on fire/);
      const counts = await tableCounts(loc);
      expect(counts).to.include({ models: 1, versions: 1, artifacts: 1, events: 2 });
      expect(await r.integrityCheck()).to.deep.equal(['ok']);
      await r.close();
    });

    it('names what is missing: unknown model, unknown version, bad alias names; never the location', async () => {
      const r = await Registry.open(loc);
      await r.register({ modelName: M, artifact: makeArtifact(), actor: 'a' });
      await rejects(r.get(M, 9), /has no version 9/);
      const e = await rejects(r.history('nope'), /no model named "nope"/);
      expect(e.message).to.not.include(loc);
      await rejects(r.setAlias(M, '1; DROP TABLE versions', 1, by), /invalid alias name/);
      expect(await r.list(M)).to.have.length(1);
      await r.close();
    });

    it('a read-only connection sees commits of another connection through its change token', async () => {
      const w = await Registry.open(loc);
      await w.register({ modelName: M, artifact: makeArtifact(), actor: 'a' });
      const ro = await Registry.openReadOnly(loc);
      const before = await ro.changeToken();
      expect(await ro.resolveAlias(M, 'production')).to.equal(1);
      await w.register({ modelName: M, artifact: makeArtifact({ seed: 3 }), actor: 'a', promote: true });
      expect(await ro.changeToken()).to.not.equal(before);
      expect(await ro.resolveAlias(M, 'production')).to.equal(2);
      await rejects(ro.promote(M, 1, by), /open read-only/);
      await ro.close();
      await w.close();
    });
  });

describe('registry (sqlite only)', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rfm-reg-'));
    file = join(dir, 'nested', 'registry.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('migrates an empty file to the current schema, in WAL mode', async () => {
    await (await Registry.open(file)).close();
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).to.equal(SCHEMA_VERSION);
    expect(raw.pragma('journal_mode', { simple: true })).to.equal('wal');
    const tables = (
      raw.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").all() as { name: string }[]
    ).map((t) => t.name);
    expect(tables).to.deep.equal([
      'aliases',
      'artifacts',
      'events',
      'features',
      'labels',
      'model_state',
      'models',
      'policies',
      'registry_secrets',
      'reports',
      'run_jobs',
      'run_webhooks',
      'runs',
      'runs_state',
      'tags',
      'versions',
    ]);
    raw.close();
  });

  it('refuses a registry written by a newer schema instead of touching it', async () => {
    await (await Registry.open(file)).close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    await rejects(Registry.open(file), /newer than this rfm understands/);
    await rejects(Registry.openReadOnly(file), /newer than this rfm understands/);
    const check = new Database(file);
    expect(check.pragma('user_version', { simple: true })).to.equal(SCHEMA_VERSION + 1);
    check.close();
  });
});

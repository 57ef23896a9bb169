import { expect } from 'chai';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeArtifact } from '@rfm/shared/testing';
import { RfmError } from '@rfm/shared';
import { Registry, SCHEMA_VERSION } from './index.js';

const M = 'customer-segments';
const by = { actor: 'tester', reason: 'test' };

describe('registry', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rfm-reg-'));
    file = join(dir, 'nested', 'registry.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('migrates an empty file to the current schema, in WAL mode, and is idempotent', () => {
    const r = Registry.open(file);
    expect(r.db.pragma('user_version', { simple: true })).to.equal(SCHEMA_VERSION);
    expect(r.db.pragma('journal_mode', { simple: true })).to.equal('wal');
    const tables = (
      r.db.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").all() as { name: string }[]
    ).map((t) => t.name);
    expect(tables).to.deep.equal([
      'aliases',
      'artifacts',
      'events',
      'features',
      'labels',
      'models',
      'policies',
      'reports',
      'tags',
      'versions',
    ]);
    r.close();
    const again = Registry.open(file);
    expect(again.db.pragma('user_version', { simple: true })).to.equal(SCHEMA_VERSION);
    again.close();
  });

  it('refuses a registry written by a newer schema instead of touching it', () => {
    Registry.open(file).close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => Registry.open(file)).to.throw(RfmError, /newer than this rfm understands/);
    expect(() => Registry.openReadOnly(file)).to.throw(RfmError, /newer than this rfm understands/);
    const check = new Database(file);
    expect(check.pragma('user_version', { simple: true })).to.equal(SCHEMA_VERSION + 1);
    check.close();
  });

  it('numbers versions from 1, makes the first production, later ones candidates unless promoted', () => {
    const r = Registry.open(file);
    const v1 = r.register({ modelName: M, artifact: makeArtifact(), actor: 'a' });
    const v2 = r.register({ modelName: M, artifact: makeArtifact({ seed: 7 }), actor: 'a' });
    const v3 = r.register({ modelName: M, artifact: makeArtifact({ seed: 8 }), actor: 'a', promote: true });
    expect([v1.version, v2.version, v3.version]).to.deep.equal([1, 2, 3]);
    expect(v1.aliases).to.deep.equal(['production']);
    expect(v2.aliases).to.deep.equal([]);
    expect(v3.aliases).to.deep.equal(['production']);
    expect(r.resolveAlias(M, 'production')).to.equal(3);
    const other = r.register({ modelName: 'uk-only', artifact: makeArtifact(), actor: 'a' });
    expect(other.version).to.equal(1);
    expect(r.list(M).map((v) => v.version)).to.deep.equal([1, 2, 3]);
    r.close();
  });

  it('stores the artifact bytes with their sha256 and reads them back verified', () => {
    const r = Registry.open(file);
    const art = makeArtifact();
    const res = r.register({ modelName: M, artifact: art, actor: 'a' });
    const back = r.loadArtifact(M, res.version);
    expect(back).to.deep.equal(art);
    expect(r.get(M, 1).artifact.sha256).to.equal(res.sha256);
    // flip one byte behind the registry's back: the load must refuse it
    r.db.prepare('UPDATE artifacts SET bytes = CAST(replace(CAST(bytes AS TEXT), \'"k":4\', \'"k":5\') AS BLOB)').run();
    expect(() => r.loadArtifact(M, 1)).to.throw(RfmError, /checksum mismatch/);
    r.close();
  });

  it('rolls back one step per call through the alias history, repeatably, and records every move', () => {
    const r = Registry.open(file);
    for (let i = 0; i < 4; i++) r.register({ modelName: M, artifact: makeArtifact({ seed: i }), actor: 'a' });
    r.promote(M, 2, by);
    r.promote(M, 3, by);
    r.promote(M, 4, by);
    expect(r.rollback(M, by)).to.include({ from: 4, to: 3 });
    expect(r.rollback(M, by)).to.include({ from: 3, to: 2 });
    expect(r.rollback(M, by)).to.include({ from: 2, to: 1 });
    expect(() => r.rollback(M, by)).to.throw(RfmError, /no version before 1|nothing to roll back/);
    expect(r.resolveAlias(M, 'production')).to.equal(1);
    // a new promote after rollbacks starts a new step; rolling it back returns to where we were
    r.promote(M, 4, by);
    expect(r.rollback(M, by)).to.include({ from: 4, to: 1 });
    const prod = r.history(M, { alias: 'production' });
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
    r.close();
  });

  it('a failed registration leaves nothing behind', () => {
    const r = Registry.open(file);
    r.register({ modelName: M, artifact: makeArtifact(), actor: 'a' });
    const bad = makeArtifact();
    (bad as { k: number }).k = 3; // centroids no longer match k: schema refuses it
    expect(() => r.register({ modelName: M, artifact: bad, actor: 'a' })).to.throw(RfmError, /invalid artifact/);
    // a failure inside the transaction (trigger aborts the artifact insert) rolls back the version row too
    r.db.exec(
      "CREATE TEMP TRIGGER fail_artifact BEFORE INSERT ON artifacts BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
    );
    expect(() => r.register({ modelName: 'second', artifact: makeArtifact(), actor: 'a' })).to.throw(
      RfmError,
      /disk on fire/,
    );
    const counts = r.db
      .prepare(
        'SELECT (SELECT COUNT(*) FROM models) m, (SELECT COUNT(*) FROM versions) v, (SELECT COUNT(*) FROM artifacts) a, (SELECT COUNT(*) FROM events) e',
      )
      .get();
    expect(counts).to.deep.equal({ m: 1, v: 1, a: 1, e: 2 });
    expect(r.integrityCheck()).to.deep.equal(['ok']);
    r.close();
  });

  it('names what is missing: unknown model, unknown version, bad alias names', () => {
    const r = Registry.open(file);
    r.register({ modelName: M, artifact: makeArtifact(), actor: 'a' });
    expect(() => r.get(M, 9)).to.throw(RfmError, /has no version 9/);
    expect(() => r.history('nope')).to.throw(RfmError, /no model named "nope"/);
    expect(() => r.setAlias(M, '1; DROP TABLE versions', 1, by)).to.throw(RfmError, /invalid alias name/);
    expect(r.list(M)).to.have.length(1);
    r.close();
  });

  it('a read-only connection sees commits of another connection through data_version', () => {
    const w = Registry.open(file);
    w.register({ modelName: M, artifact: makeArtifact(), actor: 'a' });
    const ro = Registry.openReadOnly(file);
    const before = ro.dataVersion();
    expect(ro.resolveAlias(M, 'production')).to.equal(1);
    w.register({ modelName: M, artifact: makeArtifact({ seed: 3 }), actor: 'a', promote: true });
    expect(ro.dataVersion()).to.not.equal(before);
    expect(ro.resolveAlias(M, 'production')).to.equal(2);
    ro.close();
    w.close();
  });
});

import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { Registry } from '@rfm/registry';
import { Predictor, RfmError } from '@rfm/shared';
import { ModelHolder } from './model-holder.js';
import { Lru } from './lru.js';
import {
  artifactWithCentroids,
  CENTROIDS_A,
  CENTROIDS_B,
  corruptArtifact,
  MODEL,
  registerVersion,
  tempRegistry,
  type TempRegistry,
} from './test-support/fixtures.js';

describe('ModelHolder', () => {
  let t: TempRegistry;
  let holder: ModelHolder | null = null;
  beforeEach(() => {
    t = tempRegistry();
  });
  afterEach(() => {
    holder?.stop();
    holder = null;
    t.cleanup();
  });
  const open = () => {
    holder = new ModelHolder({ registry: t.file, modelName: MODEL, pollMs: 10_000 });
    holder.start();
    return holder;
  };

  it('creates a missing registry file and reports no model, with a reason', () => {
    const h = open();
    expect(existsSync(t.file)).to.equal(true);
    expect(h.current).to.equal(null);
    expect(h.notReadyReason).to.match(/production.*no version/);
    expect(() => h.select()).to.throw(RfmError, /no model is active/);
  });

  it('loads production at start, and swaps to a new version only when the alias moves', () => {
    registerVersion(t.file, artifactWithCentroids(CENTROIDS_A));
    const h = open();
    const first = h.current!;
    expect(first.version).to.equal(1);
    expect(first.predictor.predict(5, 10, 5000)).to.equal(new Predictor(first.artifact).predict(5, 10, 5000));

    registerVersion(t.file, artifactWithCentroids(CENTROIDS_B)); // candidate: alias unchanged
    h.poll();
    expect(h.current).to.equal(first);

    const reg = Registry.open(t.file);
    reg.promote(MODEL, 2, { actor: 'test', reason: 'test', force: true });
    reg.close();
    h.poll();
    expect(h.current!.version).to.equal(2);
    expect(h.current!.artifact.k).to.equal(2);
    expect(first.version).to.equal(1); // the old object is untouched for requests still holding it
  });

  it('refuses a corrupted version, keeps the old one, records the error, and clears it once back in sync', () => {
    registerVersion(t.file, artifactWithCentroids(CENTROIDS_A));
    registerVersion(t.file, artifactWithCentroids(CENTROIDS_B));
    corruptArtifact(t.file, 2);
    const h = open();
    const reg = Registry.open(t.file);
    reg.promote(MODEL, 2, { actor: 'test', reason: 'test', force: true });
    h.poll();
    expect(h.current!.version).to.equal(1);
    expect(h.lastLoadError).to.include({ version: 2 });
    expect(h.lastLoadError!.message).to.match(/checksum mismatch/);

    h.poll(); // nothing changed: no retry, same error
    expect(h.lastLoadError!.version).to.equal(2);

    reg.rollback(MODEL, { actor: 'test' });
    reg.close();
    h.poll();
    expect(h.current!.version).to.equal(1);
    expect(h.lastLoadError).to.equal(null);
  });

  it('reloads the same version when a person relabels one of its segments', () => {
    registerVersion(t.file, artifactWithCentroids(CENTROIDS_A));
    const h = open();
    const before = h.current!;
    const reg = Registry.open(t.file);
    reg.relabel(MODEL, 1, 0, 'Best Friends', { actor: 'test' });
    reg.close();
    h.poll();
    const after = h.current!;
    expect(after).to.not.equal(before);
    expect(after.version).to.equal(1);
    expect(after.segmentByCluster[0]!.name).to.equal('Best Friends');
    expect(before.segmentByCluster[0]!.name).to.not.equal('Best Friends');
    h.poll(); // nothing changed since: same object
    expect(h.current).to.equal(after);
  });

  it('serves pinned versions and aliases on demand; unknown ones are NOT_FOUND, broken ones MODEL_UNAVAILABLE', () => {
    registerVersion(t.file, artifactWithCentroids(CENTROIDS_A));
    registerVersion(t.file, artifactWithCentroids(CENTROIDS_B));
    registerVersion(t.file, artifactWithCentroids(CENTROIDS_B, 7));
    const reg = Registry.open(t.file);
    reg.setAlias(MODEL, 'staging', 2, { actor: 'test' });
    reg.close();
    corruptArtifact(t.file, 3);
    const h = open();
    expect(h.select({ version: 1 })).to.equal(h.current);
    const v2 = h.select({ version: 2 });
    expect(v2.version).to.equal(2);
    expect(h.select({ version: 2 })).to.equal(v2); // cached while the registry is unchanged
    expect(h.select({ alias: 'staging' })).to.equal(v2);
    expect(() => h.select({ version: 9 }))
      .to.throw(RfmError, /no version 9/)
      .with.property('code', 'NOT_FOUND');
    expect(() => h.select({ alias: 'nope' }))
      .to.throw(RfmError, /no alias "nope"/)
      .with.property('code', 'NOT_FOUND');
    expect(() => h.select({ version: 3 }))
      .to.throw(RfmError, /cannot be loaded.*checksum/)
      .with.property('code', 'MODEL_UNAVAILABLE');
  });

  it('a registry created but not migrated by someone else counts as empty', () => {
    const h = new ModelHolder({ registry: t.file, modelName: MODEL });
    holder = h;
    const raw = Registry.open(t.file);
    raw.db.pragma('user_version = 0'); // looks never-migrated
    raw.close();
    h.start();
    expect(h.current).to.equal(null);
    expect(h.notReadyReason).to.match(/empty/);
  });
});

describe('Lru', () => {
  it('evicts the least recently used entry', () => {
    const l = new Lru<string, number>(2);
    l.set('a', 1);
    l.set('b', 2);
    l.get('a');
    l.set('c', 3);
    expect([l.get('a'), l.get('b'), l.get('c')]).to.deep.equal([1, undefined, 3]);
    expect(l.size).to.equal(2);
  });
});

import { expect } from 'chai';
import Database from 'better-sqlite3';
import { rejects } from '@rfm/registry/testing';
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
  beforeEach(async () => {
    t = tempRegistry();
  });
  afterEach(async () => {
    await holder?.stop();
    holder = null;
    t.cleanup();
  });
  const open = async () => {
    holder = new ModelHolder({ registry: t.file, modelName: MODEL, pollMs: 10_000 });
    await holder.start();
    return holder;
  };

  it('creates a missing registry file and reports no model, with a reason', async () => {
    const h = await open();
    expect(existsSync(t.file)).to.equal(true);
    expect(h.current).to.equal(null);
    expect(h.notReadyReason).to.match(/production.*no version/);
    expect(() => h.select()).to.throw(RfmError, /no model is active/);
  });

  it('loads production at start, and swaps to a new version only when the alias moves', async () => {
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A));
    const h = await open();
    const first = h.current!;
    expect(first.version).to.equal(1);
    expect(first.predictor.predict(5, 10, 5000)).to.equal(new Predictor(first.artifact).predict(5, 10, 5000));

    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_B)); // candidate: alias unchanged
    await h.poll();
    expect(h.current).to.equal(first);

    const reg = await Registry.open(t.file);
    await reg.promote(MODEL, 2, { actor: 'test', reason: 'test', force: true });
    await reg.close();
    await h.poll();
    expect(h.current!.version).to.equal(2);
    expect(h.current!.artifact.k).to.equal(2);
    expect(first.version).to.equal(1); // the old object is untouched for requests still holding it
  });

  it('refuses a corrupted version, keeps the old one, records the error, and clears it once back in sync', async () => {
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A));
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_B));
    const h = await open();
    const reg = await Registry.open(t.file);
    await reg.promote(MODEL, 2, { actor: 'test', reason: 'test', force: true });
    corruptArtifact(t.file, 2); // damaged after the (verified) promotion: the disk, not a person
    await h.poll();
    expect(h.current!.version).to.equal(1);
    expect(h.lastLoadError).to.include({ version: 2 });
    expect(h.lastLoadError!.message).to.match(/checksum mismatch/);

    await h.poll(); // nothing changed: no retry, same error
    expect(h.lastLoadError!.version).to.equal(2);

    await reg.rollback(MODEL, { actor: 'test' });
    await reg.close();
    await h.poll();
    expect(h.current!.version).to.equal(1);
    expect(h.lastLoadError).to.equal(null);
  });

  it('reloads the same version when a person relabels one of its segments', async () => {
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A));
    const h = await open();
    const before = h.current!;
    const reg = await Registry.open(t.file);
    await reg.relabel(MODEL, 1, 0, 'Best Friends', { actor: 'test' });
    await reg.close();
    await h.poll();
    const after = h.current!;
    expect(after).to.not.equal(before);
    expect(after.version).to.equal(1);
    expect(after.segmentByCluster[0]!.name).to.equal('Best Friends');
    expect(before.segmentByCluster[0]!.name).to.not.equal('Best Friends');
    await h.poll(); // nothing changed since: same object
    expect(h.current).to.equal(after);
  });

  it('saving and deleting runs never reloads the model; a relabel still does', async () => {
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A));
    const h = await open();
    const first = h.current!;
    // count real registry loads (calls through): a reload is a loadModel, whatever its outcome
    const original = Registry.prototype.loadModel;
    let loads = 0;
    Registry.prototype.loadModel = function (this: Registry, ...args: Parameters<Registry['loadModel']>) {
      loads++;
      return original.apply(this, args);
    };
    try {
      const reg = await Registry.open(t.file);
      const facts = {
        exportName: 'june.csv',
        exportSha256: 'b'.repeat(64),
        snapshotDate: '2026-06-30',
        rowsRead: 10_000_000,
        rowsDropped: {},
        customers: 0,
        frequencyBasis: 'invoices',
        modelName: MODEL,
        version: 1,
      };
      for (let i = 0; i < 5; i++) {
        const run = await reg.saveRun(
          {
            ...facts,
            modelName: MODEL,
            version: 1,
            summary: [],
            facts,
            customersBlob: new Uint8Array(100),
            customersEncoding: 'x',
          },
          'test',
        );
        await h.poll();
        if (i % 2) await reg.deleteRun(run.id, 'test');
        await h.poll();
      }
      expect(loads).to.equal(0);
      expect(h.current).to.equal(first);
      await reg.relabel(MODEL, 1, 0, 'Best Friends', { actor: 'test' });
      await reg.close();
      await h.poll();
      expect(loads).to.equal(1);
      expect(h.current!.segmentByCluster[0]!.name).to.equal('Best Friends');
    } finally {
      Registry.prototype.loadModel = original;
    }
  });

  it('serves pinned versions and aliases on demand; unknown ones are NOT_FOUND, broken ones MODEL_UNAVAILABLE', async () => {
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A));
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_B));
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_B, 7));
    const reg = await Registry.open(t.file);
    await reg.setAlias(MODEL, 'staging', 2, { actor: 'test' });
    await reg.close();
    corruptArtifact(t.file, 3);
    const h = await open();
    expect(h.select({ version: 1 })).to.equal(h.current); // the active one: synchronously
    const v2 = await h.select({ version: 2 });
    expect(v2.version).to.equal(2);
    expect(h.select({ version: 2 })).to.equal(v2); // cached while the registry is unchanged: synchronously
    expect(await h.select({ alias: 'staging' })).to.equal(v2);
    expect((await rejects(() => h.select({ version: 9 }), /no version 9/)).code).to.equal('NOT_FOUND');
    expect((await rejects(() => h.select({ alias: 'nope' }), /no alias "nope"/)).code).to.equal('NOT_FOUND');
    expect((await rejects(() => h.select({ version: 3 }), /cannot be loaded.*checksum/)).code).to.equal(
      'MODEL_UNAVAILABLE',
    );
  });

  it('a registry created but not migrated by someone else counts as empty', async () => {
    const h = new ModelHolder({ registry: t.file, modelName: MODEL });
    holder = h;
    await (await Registry.open(t.file)).close();
    const raw = new Database(t.file);
    raw.pragma('user_version = 0'); // looks never-migrated
    raw.close();
    await h.start();
    expect(h.current).to.equal(null);
    expect(h.notReadyReason).to.match(/empty/);
  });
});

describe('Lru', () => {
  it('evicts the least recently used entry', async () => {
    const l = new Lru<string, number>(2);
    l.set('a', 1);
    l.set('b', 2);
    l.get('a');
    l.set('c', 3);
    expect([l.get('a'), l.get('b'), l.get('c')]).to.deep.equal([1, undefined, 3]);
    expect(l.size).to.equal(2);
  });
});

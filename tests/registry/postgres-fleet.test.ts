/**
 * A fleet on one PostgreSQL registry: three `rfm serve` processes, a trainer and a
 * promoter in other processes, load running the whole time. Every server follows production by
 * LISTEN/NOTIFY; a database restart in the middle costs no prediction, and the servers catch up
 * on the next move. A trainer that cannot reach the database saves its model for a later import.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from '@rfm/registry';
import { postgresDatabase, testCluster } from '@rfm/registry/testing';
import { makeArtifact } from '@rfm/shared/testing';
import { rfm, SAMPLE, startServerProcess, tempDir } from '../support.js';

const MODEL = 'customer-segments';
const customer = { recency: 10, frequency: 3, monetary: 500 };

describe('fleet on one PostgreSQL registry (real processes)', function () {
  this.timeout(300_000);
  let url: string;
  const servers: Awaited<ReturnType<typeof startServerProcess>>[] = [];
  let load: { stop: () => Promise<{ ok: number; failed: string[] }> } | null = null;

  before(async function () {
    url = await postgresDatabase(this, 'fleet');
    const reg = await Registry.open(url);
    await reg.register({ modelName: MODEL, artifact: makeArtifact({ seed: 1 }), actor: 'setup' }); // v1 production
    await reg.close();
    // three processes starting at once on a loaded machine: give them time (tsx compiles the sources)
    servers.push(...(await Promise.all([0, 1, 2].map(() => startServerProcess([], { RFM_REGISTRY: url }, 120_000)))));
  });
  after(async () => {
    await load?.stop();
    await Promise.all(servers.map((s) => s.stop()));
  });

  const versionOf = async (s: { url: string }) => {
    const r = await fetch(`${s.url}/api/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(customer),
    });
    return r.status === 200 ? ((await r.json()) as { model_version: number }).model_version : -r.status;
  };

  /** Steady predictions against every server until stopped; every non-200 or network error is kept. */
  function startLoad() {
    let running = true;
    let ok = 0;
    const failed: string[] = [];
    const loops = servers.map(async (s) => {
      while (running) {
        try {
          const v = await versionOf(s);
          if (v > 0) ok++;
          else failed.push(`${s.url}: HTTP ${-v}`);
        } catch (e) {
          failed.push(`${s.url}: ${(e as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    return {
      stop: async () => {
        running = false;
        await Promise.all(loops);
        return { ok, failed };
      },
    };
  }

  async function allOn(version: number, withinMs: number): Promise<number> {
    const t0 = Date.now();
    for (;;) {
      const vs = await Promise.all(servers.map(versionOf));
      if (vs.every((v) => v === version)) return Date.now() - t0;
      if (Date.now() - t0 > withinMs)
        throw new Error(`servers on ${vs.join(', ')} after ${withinMs} ms, expected ${version}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('three servers, a trainer and a promoter in other processes, load running: zero failures, all switch within 1 s', async () => {
    expect(await Promise.all(servers.map(versionOf))).to.deep.equal([1, 1, 1]);
    load = startLoad();
    const trained = await rfm(['train', SAMPLE, '--k', '4', '--json'], { RFM_REGISTRY: url });
    expect(trained.code, trained.stderr).to.equal(0);
    const v = JSON.parse(trained.stdout).version as number;
    expect(v).to.equal(2);
    const promoted = await rfm(['models', 'promote', String(v), '--force', '--reason', 'fleet test', '--json'], {
      RFM_REGISTRY: url,
    });
    expect(promoted.code, promoted.stderr).to.equal(0);
    const ms = await allOn(v, 1000);
    const health = (await (await fetch(`${servers[0]!.url}/readyz`)).json()) as any;
    expect(health.registry).to.include({ reachable: true, following: 'listen' });
    const { ok, failed } = await load.stop();
    load = null;
    expect(failed).to.deep.equal([]);
    expect(ok).to.be.greaterThan(50);
    console.log(`      fleet: 3 servers on v${v} ${ms} ms after the promoter exited; ${ok} predictions, 0 failed`);
  });

  it('a database restart mid-load fails no prediction; the servers report it, reconnect and catch up', async () => {
    const cluster = await testCluster();
    load = startLoad();
    cluster.stop();
    // down: still serving the held model, and /readyz says the registry is unreachable (still ready)
    let down: any = null;
    for (let i = 0; (i < 100 && !down?.registry) || (down && down.registry.reachable); i++) {
      down = await (await fetch(`${servers[1]!.url}/readyz`)).json();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(down.ready).to.equal(true);
    expect(down.registry.reachable).to.equal(false);
    expect(await versionOf(servers[2]!)).to.equal(2);
    cluster.start();
    const back = await rfm(['models', 'rollback', '--reason', 'after the restart', '--json'], { RFM_REGISTRY: url });
    expect(back.code, back.stderr).to.equal(0);
    const ms = await allOn(1, 1000).catch((e: Error) => {
      // a server that stopped answering: say what it printed and how it ended
      throw new Error(
        `${e.message}\n${servers.map((s, i) => `--- server ${i}:\n${s.output().slice(-3000)}`).join('\n')}`,
      );
    });
    const { ok, failed } = await load.stop();
    load = null;
    expect(failed).to.deep.equal([]);
    console.log(`      restart: 0 of ${ok} predictions failed; all servers back on v1 ${ms} ms after the rollback`);
  });

  it('a trainer that cannot reach the database exits 69 with a clear error after saving its model; the file imports later', async () => {
    const tmp = tempDir('rfm-pending-');
    try {
      const dead = 'postgres://rfm@127.0.0.1:1/nowhere';
      const r = await rfm(['train', SAMPLE, '--k', '4'], { RFM_REGISTRY: dead, RFM_PENDING_DIR: tmp.dir });
      expect(r.code, r.stderr).to.equal(69);
      expect(r.stderr).to.match(/^rfm: REGISTRY_UNAVAILABLE: registry database .*unreachable/);
      const file = /saved to (\S+\.rfm)/.exec(r.stderr)?.[1];
      expect(file, r.stderr).to.be.a('string');
      expect(existsSync(file!)).to.equal(true);
      expect(join(tmp.dir)).to.equal(join(file!, '..'));
      const imported = await rfm(['models', 'import', file!, '--json'], { RFM_REGISTRY: url });
      expect(imported.code, imported.stderr).to.equal(0);
      expect(JSON.parse(imported.stdout)).to.include({ version: 3 });
    } finally {
      tmp.cleanup();
    }
  });
});

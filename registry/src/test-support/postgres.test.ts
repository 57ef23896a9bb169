import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPgBin, INSTALL_HINT, postgresSkipped, processAlive as alive, reapStaleClusters } from './postgres.js';

const CHILD = fileURLToPath(new URL('./cluster-child.ts', import.meta.url));

/** A test process of its own that starts the throwaway cluster; resolves with its folder and postmaster pid. */
async function childWithCluster() {
  const child = spawn(process.execPath, ['--conditions=rfm-source', '--import', 'tsx', CHILD], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const dir = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.trim());
    });
    void exited.then(() => reject(new Error(`cluster child exited before starting: ${err}`)));
  });
  const postmaster = Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  return { child, dir, postmaster, exited };
}

describe('throwaway PostgreSQL cluster of the tests: never left running', function () {
  this.timeout(120_000);
  before(function () {
    if (postgresSkipped()) this.skip();
    if (!findPgBin()) throw new Error(INSTALL_HINT);
  });

  it('a test process ended by SIGTERM stops its cluster and removes its folder', async () => {
    const c = await childWithCluster();
    expect(alive(c.postmaster)).to.equal(true);
    c.child.kill('SIGTERM');
    expect(await c.exited).to.equal('SIGTERM'); // the signal still ends the process
    expect(existsSync(c.dir)).to.equal(false);
    expect(alive(c.postmaster)).to.equal(false);
  });

  it('a cluster left by a SIGKILLed test process is stopped and removed by the next start (owner.pid marker)', async () => {
    const c = await childWithCluster();
    c.child.kill('SIGKILL');
    expect(await c.exited).to.equal('SIGKILL');
    expect(existsSync(c.dir), 'nothing ran on SIGKILL').to.equal(true);
    expect(alive(c.postmaster)).to.equal(true);
    expect(reapStaleClusters()).to.include(c.dir);
    expect(existsSync(c.dir)).to.equal(false);
    expect(alive(c.postmaster)).to.equal(false);
  });
});

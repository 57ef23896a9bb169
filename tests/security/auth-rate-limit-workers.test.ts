import { expect } from 'chai';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { Registry } from '@rfm/registry';
import { makeArtifact } from '@rfm/shared/testing';
import { startServerProcess, tempDir, waitFor } from '../support.js';

const TOKEN = 'workers-rate-limit-admin-token-0123456789';

/** One request on a new connection each time, so the kernel may hand it to either worker. */
function rollback(url: string, token: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      `${url}/api/v1/models/customer-segments/rollback`,
      {
        method: 'POST',
        agent: new Agent({ keepAlive: false }),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', connection: 'close' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end('{"reason":"guess"}');
  });
}

/**
 * The failed-authentication limit across `--workers`: each worker allows floor(10 / N) failures per client, so
 * however the kernel spreads a client's connections, the total stays within 10.
 */
describe('failed-auth rate limit holds across rfm serve --workers 2', function () {
  this.timeout(120_000);
  const t = tempDir('rfm-rl-workers-');
  const registry = join(t.dir, 'registry.db');
  let server: Awaited<ReturnType<typeof startServerProcess>> | undefined;
  after(async () => {
    await server?.stop();
    t.cleanup();
  });

  it('30 wrong tokens on fresh connections: at most 10 are checked (401), the rest 429', async () => {
    const reg = await Registry.open(registry);
    await reg.register({ modelName: 'customer-segments', artifact: makeArtifact({ seed: 1 }), actor: 'setup' });
    await reg.close();
    server = await startServerProcess(['--registry', registry, '--workers', '2'], { RFM_ADMIN_TOKEN: TOKEN });
    // both workers up: /metrics sums over workers, so the serving gauge reads 2
    await waitFor(async () => {
      const m = await (await fetch(`${server!.url}/metrics`)).text();
      return /^rfm_model_serving\{model_version="1"\} 2$/m.test(m) ? true : undefined;
    }, 60_000);
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++)
      statuses.push(await rollback(server.url, `wrong-${i}-padding-padding-padding-padding`));
    const checked = statuses.filter((x) => x === 401).length;
    expect(
      statuses.every((x) => x === 401 || x === 429),
      statuses.join(','),
    ).to.equal(true);
    expect(checked, statuses.join(',')).to.be.within(1, 10);
    expect(statuses.slice(-5), 'the last tries are all held back').to.deep.equal([429, 429, 429, 429, 429]);
  });
});

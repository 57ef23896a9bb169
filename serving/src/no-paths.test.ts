import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { Registry } from '@rfm/registry';
import type { RunningServer } from './server.js';
import {
  artifactWithCentroids,
  CENTROIDS_A,
  registerVersion,
  startTestServer,
  tempRegistry,
  type TempRegistry,
} from './test-support/fixtures.js';

/**
 * No answer, to anyone, names a file on the server. The registry's messages
 * used to carry its path (`no model named "x" in registry /data/…`), reachable anonymously.
 */
describe('server answers never name a file path', function () {
  this.timeout(30_000);
  let t: TempRegistry;
  let s: RunningServer;
  before(async () => {
    t = tempRegistry();
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A));
    s = await startTestServer(t.file);
  });
  after(async () => {
    await s.close();
    t.cleanup();
  });

  // every anonymous GET that reaches the registry with a name or version that does not exist
  const paths = [
    '/api/v1/models/nosuch',
    '/api/v1/models/nosuch/versions/1',
    '/api/v1/models/nosuch/history',
    '/api/v1/models/nosuch/compare?a=1&b=2',
    '/api/v1/models/customer-segments/versions/99',
    '/api/v1/models/customer-segments/compare?a=1&b=99',
    '/models/nosuch/1',
    '/models/nosuch/1/report',
    '/models/nosuch/1/charts/sizes.svg',
    '/models/customer-segments/99',
    '/models/nosuch',
  ];
  for (const p of paths)
    it(`GET ${p} answers 4xx without the registry path`, async () => {
      const r = await fetch(`${s.url}${p}`);
      const body = await r.text();
      expect(r.status, body).to.be.within(400, 499);
      expect(body).not.to.include(t.dir);
      expect(body).not.to.include('registry.db');
    });

  it('registry errors a server can relay (not a database, wrong schema) name no path', async () => {
    const dir = tempRegistry();
    try {
      writeFileSync(dir.file, 'this is not a sqlite database, only text '.repeat(200));
      let err: unknown;
      try {
        await (await Registry.openReadOnly(dir.file)).close();
      } catch (e) {
        err = e;
      }
      expect((err as Error).message).to.include('not a valid rfm registry');
      expect((err as Error).message).not.to.include(dir.dir);
    } finally {
      dir.cleanup();
    }
  });
});

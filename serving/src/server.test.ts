import { expect } from 'chai';
import { request } from 'node:http';
import { RfmError } from '@rfm/shared';
import type { RunningServer } from './server.js';
import {
  artifactWithCentroids,
  CENTROIDS_A,
  CENTROIDS_B,
  corruptArtifact,
  postJson,
  pointProductionRaw,
  registerVersion,
  registryInChild,
  startTestServer,
  tempRegistry,
  waitFor,
  type TempRegistry,
} from './test-support/fixtures.js';

const customer = { recency: 10, frequency: 3, monetary: 500 };

describe('server: hot reload across processes', function () {
  this.timeout(60_000);
  let t: TempRegistry;
  let s: RunningServer;
  const versionNow = async () => (await postJson(`${s.url}/api/v1/predict`, customer)).json.model_version as number;

  before(async () => {
    t = tempRegistry();
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A)); // v1, production
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_B)); // v2, candidate
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_B, 3)); // v3, to be corrupted
    corruptArtifact(t.file, 3);
    s = await startTestServer(t.file); // default poll, 250 ms
  });
  after(async () => {
    await s.close();
    t.cleanup();
  });

  it('reports the actual port when asked for port 0', async () => {
    expect(s.port).to.be.greaterThan(0);
    expect(s.url).to.equal(`http://127.0.0.1:${s.port}`);
  });

  it('answers with v2 within 1 s of a promote by another process', async () => {
    expect(await versionNow()).to.equal(1);
    const child = await registryInChild(t.file, 'promote', 2);
    expect(child.code, child.stderr).to.equal(0);
    const { ms } = await waitFor(async () => (await versionNow()) === 2, 1000);
    expect(ms).to.be.lessThan(1000);
    const info = (await (await fetch(`${s.url}/api/v1/model`)).json()) as any;
    expect(info).to.include({ model_version: 2, k: 2 });
  });

  it('goes back to v1 within 1 s of a rollback by another process', async () => {
    const child = await registryInChild(t.file, 'rollback');
    expect(child.code, child.stderr).to.equal(0);
    expect(JSON.parse(child.stdout)).to.include({ from: 2, to: 1 });
    const { ms } = await waitFor(async () => (await versionNow()) === 1, 1000);
    expect(ms).to.be.lessThan(1000);
  });

  it('refuses a promoted version with corrupted bytes: v1 keeps serving and /readyz reports the error', async () => {
    // the registry itself refuses to promote a damaged artifact (#14 item 2) …
    const child = await registryInChild(t.file, 'promote', 3);
    expect(child.code).to.not.equal(0);
    expect(child.stderr).to.match(/ARTIFACT_CORRUPT[\s\S]*checksum mismatch/);
    // … so point production at it behind the registry's back, as a damaged disk would after a promote
    pointProductionRaw(t.file, 3);
    const { value: ready } = await waitFor(async () => {
      const body = (await (await fetch(`${s.url}/readyz`)).json()) as any;
      return body.last_load_error ? body : null;
    }, 1000);
    expect(ready).to.include({ ready: true, model_version: 1 });
    expect(ready.last_load_error).to.include({ version: 3 });
    expect(ready.last_load_error.message).to.match(/checksum mismatch/);
    expect(await versionNow()).to.equal(1);
    const info = (await (await fetch(`${s.url}/api/v1/model`)).json()) as any;
    expect(info.model_version).to.equal(1);
    expect(info.last_load_error.version).to.equal(3);
    // still v1 a few polls later: the bad version is not retried and not half-loaded
    await new Promise((r) => setTimeout(r, 600));
    expect(await versionNow()).to.equal(1);
  });

  it('pointing production back at a good version clears the error', async () => {
    pointProductionRaw(t.file, 1);
    const { value } = await waitFor(async () => {
      const body = (await (await fetch(`${s.url}/readyz`)).json()) as any;
      return body.last_load_error === null ? body : null;
    }, 1000);
    expect(value.model_version).to.equal(1);
  });
});

describe('server: lifecycle', () => {
  let t: TempRegistry;
  beforeEach(async () => {
    t = tempRegistry();
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A));
  });
  afterEach(() => t.cleanup());

  it('close() lets an in-flight request finish, then refuses new connections', async () => {
    const s = await startTestServer(t.file);
    const u = new URL(`${s.url}/api/v1/predict`);
    const body = JSON.stringify(customer);
    // Send the headers and half the body, close the server, then send the rest.
    const inFlight = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => req.end(body.slice(10)), 200);
    });
    await new Promise((r) => setTimeout(r, 50));
    const closed = s.close();
    const res = await inFlight;
    expect(res.status).to.equal(200);
    expect(JSON.parse(res.text).model_version).to.equal(1);
    await closed;
    let refused = false;
    await fetch(`${s.url}/healthz`).catch(() => (refused = true));
    expect(refused).to.equal(true);
    expect(s.holder.started).to.equal(false);
  });

  it('a port already in use is a clear CONFLICT error, and the holder is stopped', async () => {
    const a = await startTestServer(t.file);
    try {
      let err: unknown;
      await startTestServer(t.file, { port: a.port }).catch((e) => (err = e));
      expect(err).to.be.instanceOf(RfmError);
      expect((err as RfmError).code).to.equal('CONFLICT');
      expect((err as RfmError).message).to.match(/already in use/);
    } finally {
      await a.close();
    }
  });
});

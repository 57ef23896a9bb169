import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '@rfm/registry';
import { customers, savedRunInput } from '@rfm/runs/testing';
import { makeArtifact } from '@rfm/shared/testing';
import type { RunningServer } from '../server.js';
import {
  MODEL,
  postJson,
  startTestServer,
  tempRegistry,
  testConfig,
  type TempRegistry,
} from '../test-support/fixtures.js';
import { createLogger } from '../logger.js';
import { startServer } from '../server.js';
import { withoutCustomerId } from '../middleware/request-context.js';
import { runsBaseDir } from '../runs/run-files.js';

const ADMIN = 'customers-admin-token-0123456789-abcdef';
const VIEWER = 'customers-viewer-token-0123456789-abcdef';
const GONE = 'cust-ERASE-ME-7731';
const IDS = ['cust-A-1001', 'cust-B-1002', GONE, 'cust-D-1004'];
const SEGMENTS = [
  { cluster: 0, key: 'champions' as const, name: 'Champions' },
  { cluster: 1, key: 'at_risk' as const, name: 'At risk' },
  { cluster: 2, key: 'hibernating' as const, name: 'Hibernating' },
];

describe('customer lookup and erasure over HTTP', function () {
  this.timeout(30_000);
  let t: TempRegistry;
  let s: RunningServer;
  const runs: string[] = [];
  const runsRoot = mkdtempSync(join(tmpdir(), 'rfm-customers-runs-'));
  /** an upload kept for retraining (RFM_RUN_UPLOAD_KEEP_HOURS): the raw export, with the person in it */
  const kept = join(runsBaseDir(runsRoot), 'kept-r-20260331-0badf00d');
  const get = async (path: string, token: string) => {
    const res = await fetch(`${s.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, text: await res.text() };
  };
  before(async () => {
    t = tempRegistry();
    const reg = await Registry.open(t.file);
    try {
      await reg.register({
        modelName: MODEL,
        artifact: makeArtifact(),
        actor: 't',
        features: { cids: [...IDS], raw: Float64Array.from({ length: 12 }, (_, i) => i) },
      });
      const clusters = [
        [0, 0, 0, 1],
        [1, 0, 1, 0],
        [2, 0, 1, 0],
      ];
      for (const [i, date] of ['2026-01-31', '2026-02-28', '2026-03-31'].entries()) {
        await new Promise((r) => setTimeout(r, 5));
        runs.push((await reg.saveRun(savedRunInput(customers([...IDS], clusters[i]!), date, SEGMENTS, MODEL), 't')).id);
      }
    } finally {
      await reg.close();
    }
    s = await startTestServer(t.file, { adminToken: ADMIN, readToken: VIEWER }, { runs: { tempRoot: runsRoot } });
    mkdirSync(kept, { mode: 0o700 });
    writeFileSync(join(kept, 'export.csv'), `customer,invoice,date,amount\n${GONE},1,2026-03-01,10\n`);
  });
  after(async () => {
    await s.close();
    t.cleanup();
    rmSync(runsRoot, { recursive: true, force: true });
  });

  it('a viewer looks a customer up: segment, previous segment and since when, from the latest run', async () => {
    const r = await get(`/api/v1/customers/${GONE}`, VIEWER);
    expect(r.status).to.equal(200);
    const body = JSON.parse(r.text);
    expect(body).to.include({
      customer: GONE,
      model: MODEL,
      segment: 'At risk',
      previous_segment: 'At risk',
      segment_since: '2026-02-28',
      r_score: 3,
    });
    expect(body.run).to.include({ id: runs[2], snapshot_date: '2026-03-31' });
    const none = await get('/api/v1/customers/someone-else-42', VIEWER);
    expect(none.status).to.equal(404);
    expect(none.text).to.include(runs[2]).and.not.include('someone-else-42');
    expect((await get(`/api/v1/customers/${GONE}`, 'not-a-token-0123456789-0123456789')).status).to.equal(401); // a token that is no one's
  });

  it('a viewer cannot erase (403, nothing changes); an admin erases, after which no route gives the customer', async () => {
    const refused = await postJson(
      `${s.url}/api/v1/customers/${GONE}/forget`,
      {},
      { authorization: `Bearer ${VIEWER}` },
    );
    expect(refused.status).to.equal(403);
    expect(existsSync(kept), 'a refused erasure deletes nothing').to.equal(true);
    expect((await get(`/api/v1/customers/${GONE}`, VIEWER)).status).to.equal(200);
    const typed = await postJson(
      `${s.url}/api/v1/customers/${GONE}/forget`,
      { reason: 'erasure request 114', actor: 'dpo' },
      { authorization: `Bearer ${ADMIN}` },
    );
    expect(typed.status, 'a typed actor naming someone else').to.equal(400);
    expect(typed.json.error.message).to.include('the token belongs to admin');
    const done = await postJson(
      `${s.url}/api/v1/customers/${GONE}/forget`,
      { reason: 'erasure request 114' },
      { authorization: `Bearer ${ADMIN}` },
    );
    expect(done.status).to.equal(200);
    const reg = await Registry.openReadOnly(t.file);
    const erasures = (await reg.history(MODEL, { limit: 100 })).filter((e) => e.action === 'customer_erase');
    await reg.close();
    expect(erasures.map((e) => [e.actor, e.reason])).to.deep.equal([['api:admin', 'erasure request 114']]);
    expect(existsSync(kept), 'the kept upload holding the person').to.equal(false);
    expect(done.json).to.include({ erased: true });
    expect(done.json.runs).to.have.length(3);
    expect(done.json.versions).to.deep.equal([{ model: MODEL, version: 1 }]);
    expect((await get(`/api/v1/customers/${GONE}`, VIEWER)).status).to.equal(404);
    for (const id of runs) {
      const csv = await get(`/api/v1/runs/${id}/customers`, VIEWER);
      expect(csv.status).to.equal(200);
      expect(csv.text).to.include('cust-D-1004').and.not.include(GONE);
    }
    const again = await postJson(`${s.url}/api/v1/customers/${GONE}/forget`, {}, { authorization: `Bearer ${ADMIN}` });
    expect(again.status).to.equal(200);
    expect(again.json).to.include({ erased: false, subject: done.json.subject });
    expect(again.json.erased_before).to.have.length(1);
  });

  it('logs the lookup path without the customer id', () => {
    expect(withoutCustomerId(`/api/v1/customers/${GONE}`)).to.equal('/api/v1/customers/:cid');
    expect(withoutCustomerId(`/api/v1/customers/${GONE}/forget`)).to.equal('/api/v1/customers/:cid/forget');
  });

  it('at debug, neither the request line nor the 404 line of a lookup names the customer', async () => {
    const lines: string[] = [];
    const config = testConfig(t.file, { readToken: VIEWER, logLevel: 'debug' });
    const debug = await startServer({ config, logger: createLogger(config, { write: (l: string) => lines.push(l) }) });
    try {
      const headers = { authorization: `Bearer ${VIEWER}` };
      const absent = 'cust-NOT-THERE-5150';
      expect((await fetch(`${debug.url}/api/v1/customers/${absent}`, { headers })).status).to.equal(404);
      expect((await fetch(`${debug.url}/api/v1/customers/cust-A-1001`, { headers })).status).to.equal(200);
      const log = lines.join('');
      expect(log).to.include('"path":"/api/v1/customers/:cid"');
      expect(log).to.include('"code":"NOT_FOUND"');
      expect(log).not.to.include(absent);
      expect(log).not.to.include('cust-A-1001');
      expect(log.match(/"path":"\/api\/v1\/customers\/:cid"/g)).to.have.length(3); // 404 line, two request lines
    } finally {
      await debug.close();
    }
  });
});

/**
 * Drift and the webhook for runs a server executes (POST /api/v1/runs): the saved run's drift in
 * the API, /metrics gauges for the model's latest run, the summary posted by the server after
 * the job is already marked succeeded, and a failing receiver that is logged and counted
 * without holding up the run or logging the payload.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { Registry } from '@rfm/registry';
import { createLogger, startServer, type RunningServer } from '@rfm/serving';
import { loadConfig } from '@rfm/shared';
import { rfmDist, SAMPLE, tempDir, waitFor } from '../support.js';
import { writePricesTimes } from './shifted-export.js';

const MODEL = 'customer-segments';
const TOKEN = 'drift-serve-admin-token-0123456789-abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('drift and the webhook of server runs (in-process server, real child, real registry)', function () {
  this.timeout(240_000);
  const tmp = tempDir('rfm-drift-serve-');
  const registry = join(tmp.dir, 'registry.db');
  const shifted = join(tmp.dir, 'prices-x5.csv');
  const logs: string[] = [];
  const received: string[] = [];
  let answer = 200;
  let hookServer: Server;
  let hook = '';
  let s: RunningServer;

  before(async () => {
    hookServer = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push(body);
        res.writeHead(answer).end();
      });
    });
    await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
    hook = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/in?key=k3y`;
    writePricesTimes(shifted, 5);
    const t = await rfmDist(['train', SAMPLE, '--registry', registry, '--k', '4', '--seed', '42', '--json']);
    expect(t.code, t.stderr).to.equal(0);
    const reg = await Registry.open(registry);
    await reg.setWebhook(MODEL, hook, { actor: 'admin', reason: 'campaign tool' });
    await reg.close();
    const config = loadConfig(
      {},
      { registry, port: 0, host: '127.0.0.1', logLevel: 'info', adminToken: TOKEN, pollMs: 50 },
    );
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    });
    s = await startServer({
      config,
      logger: createLogger({ logLevel: 'info' }, sink),
      runs: { tempRoot: tmp.dir, pollMs: 50, webhook: { attempts: 3, timeoutMs: 2000, backoffMs: [100, 200] } },
    });
  });
  after(async () => {
    await s?.close({ drainMs: 1000 });
    hookServer.closeAllConnections();
    await new Promise<void>((r) => hookServer.close(() => r()));
    tmp.cleanup();
  });

  async function run(file: string): Promise<any> {
    const r = await fetch(`${s.url}/api/v1/runs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/csv' },
      body: readFileSync(file),
    });
    expect(r.status, await r.clone().text()).to.equal(202);
    const { id } = (await r.json()) as { id: string };
    const done = await waitFor(
      async () => {
        const j = (await (await fetch(`${s.url}/api/v1/runs/${id}`, { headers: auth })).json()) as any;
        return ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
      },
      120_000,
      100,
    );
    return done.value;
  }
  const metric = async (name: string) =>
    (await (await fetch(`${s.url}/metrics`)).text()).split('\n').filter((l) => l.startsWith(name));

  it('a run of the prices ×5 export: drift in the API, retraining advised, gauges, summary posted', async () => {
    const plain = readFileSync(SAMPLE);
    const csv = join(tmp.dir, 'sample.csv');
    writeFileSync(csv, gunzipSync(plain));
    const a = await run(csv);
    expect(a.state, JSON.stringify(a.error)).to.equal('succeeded');
    expect(a.retrain_advised).to.equal(false);
    expect(a.drift.psi.monetary).to.be.below(0.01);
    const b = await run(shifted);
    expect(b.state).to.equal('succeeded');
    expect(b.retrain_advised).to.equal(true);
    expect(b.drift.psi.monetary).to.be.at.least(0.25);
    expect(b.drift.reasons[0]).to.match(/^monetary PSI/);
    await waitFor(async () => (received.length >= 2 ? true : undefined), 10_000, 50);
    const [pa, pb] = received.map((x) => JSON.parse(x));
    expect(pa).to.include({ run_id: a.id, model: MODEL, retrain_advised: false, previous_run: null });
    expect(pb).to.include({ run_id: b.id, previous_run: a.id, retrain_advised: true });
    expect(pb.drift.psi.monetary).to.equal(b.drift.psi.monetary);
    expect(received.join('')).to.not.match(/"cid"|customer_id/);
    // the gauges follow the model's latest run (the shifted one)
    expect(await metric('rfm_run_retrain_advised{')).to.deep.equal([`rfm_run_retrain_advised{model="${MODEL}"} 1`]);
    const psi = await metric('rfm_run_feature_psi{');
    expect(psi).to.have.length(3);
    expect(psi.find((l) => l.includes('feature="monetary"'))).to.equal(
      `rfm_run_feature_psi{model="${MODEL}",feature="monetary"} ${b.drift.psi.monetary}`,
    );
    expect(await metric('rfm_webhook_deliveries_total{')).to.deep.equal([
      `rfm_webhook_deliveries_total{model="${MODEL}",outcome="delivered"} 2`,
    ]);
  });

  it('a receiver answering 500: the run succeeds at once; the failure is retried 3 times, logged without payload, counted', async () => {
    answer = 500;
    const before = received.length;
    const c = await run(join(tmp.dir, 'sample.csv'));
    expect(c.state).to.equal('succeeded');
    await waitFor(async () => (logs.some((l) => l.includes('webhook delivery failed')) ? true : undefined), 10_000, 50);
    expect(received.length - before).to.equal(3);
    const line = JSON.parse(logs.find((l) => l.includes('webhook delivery failed'))!);
    expect(line).to.include({ run: c.id, attempts: 3, status: 500, error: 'HTTP 500' });
    expect(line.webhook).to.equal(new URL(hook).origin);
    const all = logs.join('');
    expect(all).to.not.contain('k3y'); // the URL's secret
    expect(all).to.not.contain('"segments"'); // the payload
    expect(await metric('rfm_webhook_deliveries_total{')).to.include(
      `rfm_webhook_deliveries_total{model="${MODEL}",outcome="failed"} 1`,
    );
  });
});

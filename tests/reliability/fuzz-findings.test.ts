/**
 * The failures the HTTP fuzzer found, pinned one by one so they stay fixed whatever the fuzzer's
 * seed: each was a 500 or a silent misreading before its fix.
 */
import { expect } from 'chai';
import { Registry } from '@rfm/registry';
import { loadConfig } from '@rfm/shared';
import { makeArtifact } from '@rfm/shared/testing';
import { silentLogger, startServer, type RunningServer } from '@rfm/serving';
import { tempDir } from '../support.js';
import { rawRequest } from './helpers.js';

const MODEL = 'customer-segments';
const TOKEN = 'findings-admin-token-0123456789-padded-to-32+';

describe('fuzz findings (pinned)', function () {
  this.timeout(30_000);
  let tmp: ReturnType<typeof tempDir>;
  let s: RunningServer;
  const file = () => `${tmp.dir}/r.db`;

  before(async () => {
    tmp = tempDir('rfm-findings-');
    const reg = await Registry.open(file());
    await reg.register({ modelName: MODEL, artifact: makeArtifact({ seed: 1 }), actor: 't' });
    await reg.register({ modelName: MODEL, artifact: makeArtifact({ seed: 2 }), actor: 't' });
    await reg.promote(MODEL, 2, { actor: 't', reason: 'so that a rollback has somewhere to go', force: true });
    await reg.close();
    s = await startServer({
      config: loadConfig({}, { registry: file(), port: 0, host: '127.0.0.1', logLevel: 'silent', adminToken: TOKEN }),
      logger: silentLogger(),
    });
  });
  after(async () => {
    await s?.close();
    tmp?.cleanup();
  });

  it('a path parameter with broken percent-encoding → 400 saying so (was 400 "bad request")', async () => {
    for (const bad of ['%E0%A4%A', '%', '%ZZ']) {
      const r = await rawRequest(`${s.url}/api/v1/models/${bad}/versions/1/promote`, {
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: '{}',
      });
      expect(r.status, bad).to.equal(400);
      expect(JSON.parse(r.text).error.message).to.match(/percent-encoding/);
    }
  });

  it('an admin body sent as another type than JSON → 415, and the write does not happen (was: body ignored, rollback done without its reason)', async () => {
    const events = async () => {
      const reg = await Registry.openReadOnly(file());
      try {
        return (await reg.history(MODEL)).length;
      } finally {
        await reg.close();
      }
    };
    const before = await events();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await rawRequest(`${s.url}/api/v1/models/${MODEL}/rollback`, {
        headers: { 'content-type': type, authorization: `Bearer ${TOKEN}` },
        body: '{"reason":"bad release"}',
      });
      expect(r.status, type).to.equal(415);
      expect(JSON.parse(r.text).error.message).to.match(/content-type must be application\/json/);
    }
    expect(await events()).to.equal(before);
    // without a body at all a rollback is still fine (reason optional)
    const ok = await rawRequest(`${s.url}/api/v1/models/${MODEL}/rollback`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(ok.status).to.equal(200);
  });

  it('transactions whose quantity × price overflows DECIMAL(38, 6) → 400 naming the line (was 500: BigInt(Infinity))', async () => {
    const body = JSON.stringify({
      cid: '17850',
      transactions: [
        { InvoiceNo: '1', InvoiceDate: '2011-01-01 08:26', Quantity: 1.7976931348623157e308, UnitPrice: 0.01 },
        { InvoiceNo: '2', InvoiceDate: '2011-01-02 08:26', Quantity: 1e31, UnitPrice: 100 },
      ],
    });
    const r = await rawRequest(`${s.url}/api/v1/predict/transactions`, {
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(r.status).to.equal(400);
    expect(JSON.parse(r.text).error.message).to.match(/^transactions\.0: the line's amount .* is too large/);
  });

  it('a CSV whose field opens a quote mid-field → 400 naming the line (was 500: csv-parse INVALID_OPENING_QUOTE)', async () => {
    for (const body of ['\n "', ' "', 'recency,frequency,monetary\n1,2 "x",3']) {
      const r = await rawRequest(`${s.url}/api/v1/predict/csv`, { headers: { 'content-type': 'text/csv' }, body });
      expect(r.status, JSON.stringify(body)).to.be.oneOf([200, 400]);
      if (r.status === 400)
        expect(JSON.parse(r.text).error.message).to.match(/CSV cannot be read: Invalid Opening Quote/);
    }
  });
});

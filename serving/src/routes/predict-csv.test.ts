import { expect } from 'chai';
import { request } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import express from 'express';
import { parse } from 'csv-parse/sync';
import { Predictor } from '@rfm/shared';
import type { RunningServer } from '../server.js';
import {
  artifactWithCentroids,
  CENTROIDS_A,
  CENTROIDS_B,
  registerVersion,
  startTestServer,
  tempRegistry,
  type TempRegistry,
} from '../test-support/fixtures.js';
import { CSV_BODY_LIMIT, predictCsvRoutes } from './predict-csv.js';
import { errorHandler } from '../middleware/errors.js';
import { silentLogger } from '../logger.js';

const postCsv = async (url: string, body: string | Buffer, type = 'text/csv') => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
  return { status: res.status, headers: res.headers, text: await res.text() };
};

describe('POST /api/v1/predict/csv', function () {
  this.timeout(60_000);
  let t: TempRegistry;
  let s: RunningServer;
  let url: string;
  const a = artifactWithCentroids(CENTROIDS_A);
  const pa = new Predictor(a);
  const seg = (c: number) => a.segments.find((x) => x.cluster === c)!.name;

  before(async () => {
    t = tempRegistry();
    await registerVersion(t.file, a);
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_B));
    s = await startTestServer(t.file);
    url = `${s.url}/api/v1/predict/csv`;
  });
  after(async () => {
    await s.close();
    t.cleanup();
  });

  it('scores every row with capitalised column names, echoing extra columns, in order', async () => {
    const rows = Array.from({ length: 500 }, (_, i) => [
      `c${i}`,
      (i * 7) % 400,
      1 + (i % 12),
      ((i * 37) % 5000) + 0.5,
      `x${i}@example.com`,
    ]);
    const csv = `CID,Recency,Frequency,Monetary,email\n${rows.map((r) => r.join(',')).join('\n')}\n`;
    const r = await postCsv(url, csv);
    expect(r.status).to.equal(200);
    expect(r.headers.get('content-type')).to.match(/^text\/csv/);
    expect(r.headers.get('x-model-version')).to.equal('1');
    const out = parse(r.text, { columns: true }) as Record<string, string>[];
    expect(Object.keys(out[0]!)).to.deep.equal([
      'CID',
      'Recency',
      'Frequency',
      'Monetary',
      'email',
      'cluster',
      'segment',
      'outlier',
      'error',
    ]);
    expect(out).to.have.length(500);
    out.forEach((o, i) => {
      const c = pa.predict(Number(rows[i]![1]), Number(rows[i]![2]), Number(rows[i]![3]));
      expect(o).to.deep.include({
        CID: `c${i}`,
        email: `x${i}@example.com`,
        cluster: String(c),
        outlier: '', // a version without outlier thresholds: unknown
        segment: seg(c),
        error: '',
      });
    });
  });

  it('a bad row gets an error naming the row and column; the others are scored; quoted fields and a BOM work', async () => {
    const csv = '\ufeffcid,recency,frequency,monetary\n"a, quoted",10,2,300\nb,x,1,10\nc,5,1.5,10\nd,5,1\ne,400,1,20\n';
    const r = await postCsv(url, csv, 'text/csv; charset=utf-8');
    expect(r.status).to.equal(200);
    const out = parse(r.text, { columns: true, relax_column_count: true }) as Record<string, string>[];
    expect(out.map((o) => o.error)).to.deep.equal([
      '',
      'row 2, recency: recency must be a number, got "x"',
      'row 3, frequency: frequency must be a whole number',
      'row 4: 3 fields, the header has 4',
      '',
    ]);
    expect(out[0]).to.include({ cid: 'a, quoted', cluster: String(pa.predict(10, 2, 300)) });
    expect(out[4]!.segment).to.equal(seg(pa.predict(400, 1, 20)));
  });

  it('pins a version like the JSON route', async () => {
    const r = await postCsv(`${url}?version=2`, 'recency,frequency,monetary\n10,2,300\n');
    expect(r.headers.get('x-model-version')).to.equal('2');
  });

  it('request-level problems are JSON errors before any output: missing column 400, no header 400, empty 400, wrong type 415', async () => {
    let r = await postCsv(url, 'cid,recency,frequency\n1,2,3\n');
    expect(r.status).to.equal(400);
    expect(JSON.parse(r.text).error.message).to.match(/CSV header lacks column\(s\) monetary/);
    r = await postCsv(url, '\n\n');
    expect(r.status).to.equal(400);
    expect(JSON.parse(r.text).error.message).to.match(/no header line/);
    r = await postCsv(url, '');
    expect(r.status).to.equal(400);
    r = await postCsv(url, '{"recency":1}', 'application/json');
    expect(r.status).to.equal(415);
    r = await postCsv(url, 'recency,frequency,monetary\n1,1,1\n', 'text/csv; charset=latin1');
    expect(r.status).to.equal(415);
  });

  it(`a content-length over ${CSV_BODY_LIMIT / 1024 / 1024} MB → 413 at once, without reading the body`, async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        url,
        { method: 'POST', headers: { 'content-type': 'text/csv', 'content-length': String(CSV_BODY_LIMIT + 1) } },
        (r) => {
          let body = '';
          r.on('data', (d) => (body += d));
          r.on('end', () => resolve({ status: r.statusCode!, body }));
        },
      );
      req.on('error', reject);
      req.write('recency,frequency,monetary\n1,1,1\n');
    });
    expect(res.status).to.equal(413);
    expect(JSON.parse(res.body).error).to.include({ code: 'PAYLOAD_TOO_LARGE' });
    expect(JSON.parse(res.body).error.message).to.match(/larger than the 50 MB limit/);
  });

  it('a chunked body that grows past the limit is cut off with a last line saying so (route with a 100 kB limit)', async () => {
    const app = express();
    app.use(predictCsvRoutes(s.holder, undefined, { bodyLimit: 100_000 }));
    app.use(errorHandler(silentLogger()));
    const small = await new Promise<Server>((resolve) => {
      const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
    });
    try {
      const port = (small.address() as AddressInfo).port;
      const body = Readable.from(
        (function* () {
          yield Buffer.from('recency,frequency,monetary\n');
          for (let i = 0; i < 100; i++) yield Buffer.from('12,3,450.5\n'.repeat(1000)); // 1.1 MB in all
        })(),
      );
      // node:http streams the upload and the answer at the same time (fetch would send all first)
      const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(
          `http://127.0.0.1:${port}/predict/csv`,
          { method: 'POST', headers: { 'content-type': 'text/csv' } },
          (r) => {
            let text = '';
            r.setEncoding('utf8');
            r.on('data', (d: string) => (text = (text + d).slice(-2000)));
            r.on('end', () => resolve({ status: r.statusCode!, text }));
          },
        );
        req.on('error', reject);
        body.pipe(req);
      });
      expect(res.status).to.equal(200);
      const last = res.text.trimEnd().split('\n').pop() ?? '';
      expect(last).to.match(/^,,,,,,stopped after row \d+: CSV body is larger than 0.1 MB; split the file$/);
    } finally {
      small.closeAllConnections();
      small.close();
    }
  });
});

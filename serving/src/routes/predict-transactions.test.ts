import { expect } from 'chai';
import { Predictor, rfmFromTransactions, TransactionsRequestSchema, TransactionsResponseSchema } from '@rfm/shared';
import type { RunningServer } from '../server.js';
import {
  artifactWithCentroids,
  CENTROIDS_A,
  CENTROIDS_B,
  postJson,
  registerVersion,
  startTestServer,
  tempRegistry,
  type TempRegistry,
} from '../test-support/fixtures.js';

const UCI = [
  {
    InvoiceNo: '536365',
    StockCode: '85123A',
    Quantity: 6,
    InvoiceDate: '12/1/2010 8:26',
    UnitPrice: 2.55,
    CustomerID: 17850,
    Country: 'United Kingdom',
  },
  {
    InvoiceNo: '536365',
    StockCode: '71053',
    Quantity: 6,
    InvoiceDate: '12/1/2010 8:26',
    UnitPrice: 3.39,
    CustomerID: 17850,
    Country: 'United Kingdom',
  },
  {
    InvoiceNo: 'C536379',
    StockCode: 'D',
    Quantity: -1,
    InvoiceDate: '12/1/2010 9:41',
    UnitPrice: 27.5,
    CustomerID: 17850,
    Country: 'United Kingdom',
  },
  {
    InvoiceNo: '536366',
    StockCode: '22633',
    Quantity: 6,
    InvoiceDate: '12/1/2010 8:28',
    UnitPrice: 1.85,
    CustomerID: 17850,
    Country: 'United Kingdom',
  },
  {
    InvoiceNo: '537226',
    StockCode: '22811',
    Quantity: 6,
    InvoiceDate: '12/6/2010 8:34',
    UnitPrice: 2.95,
    CustomerID: 17850,
    Country: 'United Kingdom',
  },
  {
    InvoiceNo: '537227',
    StockCode: '22811',
    Quantity: 0,
    InvoiceDate: '12/9/2010 8:34',
    UnitPrice: 2.95,
    CustomerID: 17850,
    Country: 'United Kingdom',
  },
];

describe('POST /api/v1/predict/transactions', function () {
  this.timeout(30_000);
  let t: TempRegistry;
  let s: RunningServer;
  let url: string;
  const a = artifactWithCentroids(CENTROIDS_A);
  const p = new Predictor(a);

  before(async () => {
    t = tempRegistry();
    await registerVersion(t.file, a);
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_B));
    s = await startTestServer(t.file);
    url = `${s.url}/api/v1/predict/transactions`;
  });
  after(async () => {
    await s.close();
    t.cleanup();
  });

  it("UCI rows → the customer's RFM by training's rules, and the segment the model gives for it", async () => {
    const r = await postJson(url, { as_of: '2011-12-10', transactions: UCI });
    expect(r.status, JSON.stringify(r.json)).to.equal(200);
    const body = TransactionsResponseSchema.parse(r.json);
    // 3 invoices kept (536365 ×2 lines, 536366 the same day, 537226); C… cancelled; quantity 0 dropped
    const expected = rfmFromTransactions(
      TransactionsRequestSchema.parse({ transactions: UCI }).transactions,
      '2011-12-10',
    );
    expect(body).to.deep.include({
      cid: '17850',
      recency: 369,
      frequency: 3,
      rows_read: 6,
      rows_kept: 4,
      snapshot_date: '2011-12-10',
      last_invoice_date: '2010-12-06',
      model_version: 1,
    });
    expect(body.monetary).to.equal(expected.monetary);
    expect(body.monetary).to.be.closeTo(6 * 2.55 + 6 * 3.39 + 6 * 1.85 + 6 * 2.95, 1e-9);
    expect(body.rows_dropped).to.deep.equal({ cancelled: 1, quantity_not_positive: 1 });
    const cluster = p.predict(369, 3, body.monetary);
    expect(body).to.include({ cluster, segment: a.segments.find((x) => x.cluster === cluster)!.name });
    expect(r.headers.get('x-model-version')).to.equal('1');
  });

  it('plain names with an amount column; without as_of the snapshot is the day after the last invoice; ?version pins', async () => {
    const r = await postJson(`${url}?version=2`, {
      cid: 'A-17',
      transactions: [
        { invoice: 'I1', date: '2024-03-01 10:00', amount: 120.5 },
        { invoice: 'I2', date: '2024-03-09', amount: 35 },
      ],
    });
    expect(r.status).to.equal(200);
    expect(r.json).to.include({
      cid: 'A-17',
      recency: 1,
      frequency: 2,
      monetary: 155.5,
      snapshot_date: '2024-03-10',
      model_version: 2,
    });
  });

  const bad: [string, unknown, RegExp][] = [
    [
      'an unreadable date',
      { transactions: [{ invoice: '1', date: '31/12/2011', quantity: 1, price: 1 }] },
      /transactions\.0\.date: date must look like/,
    ],
    [
      'lines of two customers',
      {
        transactions: [
          { invoice: '1', date: '2011-01-01', quantity: 1, price: 1, CustomerID: 1 },
          { invoice: '2', date: '2011-01-02', quantity: 1, price: 1, CustomerID: 2 },
        ],
      },
      /more than one customer/,
    ],
    [
      'nothing left after cleaning',
      { transactions: [{ invoice: 'C1', date: '2011-01-01', quantity: -1, price: 1 }] },
      /no usable transactions: all 1 were dropped \(cancelled 1\)/,
    ],
    [
      'as_of before the last invoice',
      { as_of: '2010-01-01', transactions: [{ invoice: '1', date: '2011-01-01', quantity: 1, price: 1 }] },
      /as_of 2010-01-01 is before the last invoice date 2011-01-01/,
    ],
    [
      'neither quantity and price nor amount',
      { transactions: [{ invoice: '1', date: '2011-01-01', quantity: 1 }] },
      /transactions\.0: give quantity and price/,
    ],
    [
      'a non-numeric price',
      { transactions: [{ invoice: '1', date: '2011-01-01', quantity: 1, price: 'abc' }] },
      /transactions\.0\.price: price must be a finite number/,
    ],
    ['no lines', { transactions: [] }, /at least one line/],
    [
      'an unknown top-level field',
      { transactions: [{ invoice: '1', date: '2011-01-01', amount: 1 }], customer: 'x' },
      /unknown field\(s\): customer/,
    ],
  ];
  for (const [what, body, msg] of bad)
    it(`${what} → 400 naming it`, async () => {
      const r = await postJson(url, body);
      expect(r.status).to.equal(400);
      expect(r.json.error.code).to.equal('INVALID_INPUT');
      expect(r.json.error.message).to.match(msg);
    });
});

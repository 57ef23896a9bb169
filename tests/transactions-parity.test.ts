/**
 * Serving computes RFM from raw transactions in plain TypeScript (`rfmFromTransactions` in
 * @rfm/shared); training computes it with DuckDB SQL (`readExport` in @rfm/ingest). Same rows →
 * exactly the same recency, frequency and monetary, customer by customer.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { rfmFromTransactions, TransactionsRequestSchema, type TransactionLine } from '@rfm/shared';
import { readExport } from '@rfm/ingest';
import { SAMPLE, tempDir } from './support.js';

type Row = Record<string, string>;

/** The export's rows → one request body per customer, as a CRM would send them. */
function byCustomer(rows: Row[], customerCol: string): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const r of rows) {
    const id = (r[customerCol] ?? '').trim().replace(/^([0-9]+)\.0*$/, '$1');
    if (!id) continue;
    let list = out.get(id);
    if (!list) {
      list = [];
      out.set(id, list);
    }
    list.push(r);
  }
  return out;
}

/** Lines parsed through the same request schema the HTTP route uses. */
function lines(rows: Row[], asOf: string): TransactionLine[] {
  return TransactionsRequestSchema.parse({ as_of: asOf, transactions: rows }).transactions;
}

async function compare(file: string, rows: Row[], customerCol: string) {
  const { table, summary } = await readExport(file);
  const groups = byCustomer(rows, customerCol);
  const snapshot = summary.snapshot_date;
  let compared = 0;
  for (let i = 0; i < table.cids.length; i++) {
    const cid = table.cids[i]!;
    const mine = rfmFromTransactions(lines(groups.get(cid)!, snapshot), snapshot);
    const theirs = { recency: table.raw[i * 3]!, frequency: table.raw[i * 3 + 1]!, monetary: table.raw[i * 3 + 2]! };
    expect({ cid, recency: mine.recency, frequency: mine.frequency, monetary: mine.monetary }).to.deep.equal({
      cid,
      ...theirs,
    });
    compared++;
  }
  // customers whose every line is dropped are absent from training's table, and refused here
  for (const [cid, list] of groups)
    if (!table.cids.includes(cid))
      expect(() => rfmFromTransactions(lines(list, snapshot), snapshot), cid).to.throw(/no usable transactions/);
  return { compared, customers: table.cids.length, summary };
}

describe('transactions → RFM: serving’s TypeScript equals training’s DuckDB', function () {
  this.timeout(120_000);
  let t: { dir: string; cleanup: () => void };
  before(() => (t = tempDir('rfm-parity-')));
  after(() => t.cleanup());

  it('on the bundled real sample (UCI Online Retail), every customer', async () => {
    const rows = parse(gunzipSync(readFileSync(SAMPLE)), { columns: true, skip_empty_lines: true }) as Row[];
    const { compared, customers } = await compare(SAMPLE, rows, 'CustomerID');
    expect(compared).to.equal(customers);
    expect(compared).to.be.greaterThan(200);
  });

  it('on hand-made rows: cancellations, returns, zero prices, two invoices a day, one invoice over many lines, awkward decimals', async () => {
    const header = ['InvoiceNo', 'StockCode', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID'];
    const data: string[][] = [
      // A: two invoices the same day, one invoice spread over three lines, a cancellation, a return
      ['500001', 'x', '3', '1/4/2011 8:00', '0.1', 'A1'],
      ['500001', 'y', '7', '1/4/2011 8:00', '0.2', 'A1'],
      ['500001', 'z', '1', '1/4/2011 8:00', '0.3', 'A1'],
      ['500002', 'x', '1', '1/4/2011 17:45', '1.005', 'A1'],
      ['C500003', 'x', '-3', '1/6/2011 9:00', '0.1', 'A1'],
      ['500004', 'x', '-1', '1/9/2011 9:00', '0.1', 'A1'], // return without C: dropped, and not the last date
      // B: zero and negative prices dropped; last kept invoice late in the evening
      ['500010', 'x', '12', '2/1/2011 10:00', '2.55', 'B2'],
      ['500011', 'x', '5', '2/2/2011 23:59', '0', 'B2'],
      ['500012', 'x', '5', '2/2/2011 22:10', '-1.5', 'B2'],
      ['500013', 'x', '2', '1/30/2011 6:00', '1.25', 'B2'],
      // C: many small lines whose float sum would drift; the DECIMAL sum does not
      ...Array.from({ length: 40 }, (_, i) => [
        `5001${String(i).padStart(2, '0')}`,
        'x',
        String(1 + (i % 7)),
        `3/${1 + (i % 28)}/2011 ${i % 24}:0${i % 10}`,
        (0.07 * (i + 1)).toFixed(3),
        'C3',
      ]),
      // D: only a cancellation and a zero quantity → no usable rows (absent from training's table)
      ['C500200', 'x', '-1', '3/3/2011 9:00', '5', 'D4'],
      ['500201', 'x', '0', '3/3/2011 9:00', '5', 'D4'],
      // E: the latest invoice of the file (sets the snapshot), leading zeros kept in the id
      ['500300', 'x', '1', '3/31/2011 12:00', '19.99', '007'],
      ['500301', 'x', '1000', '3/31/2011 12:01', '0.001', '007'],
    ];
    const csv = [header, ...data].map((r) => r.join(',')).join('\n');
    const file = join(t.dir, 'hand.csv');
    writeFileSync(file, `${csv}\n`);
    const rows = data.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]!]))) as Row[];
    const { compared, summary } = await compare(file, rows, 'CustomerID');
    expect(compared).to.equal(4);
    expect(summary.snapshot_date).to.equal('2011-04-01');
    // spot check by hand: A1 → last 1/4 → R 87, F 2, M 0.3 + 1.4 + 0.3 + 1.005 = 3.005
    const a = rfmFromTransactions(lines(byCustomer(rows, 'CustomerID').get('A1')!, '2011-04-01'), '2011-04-01');
    expect(a).to.deep.include({ recency: 87, frequency: 2, monetary: 3.005, rows_kept: 4 });
    expect(a.rows_dropped).to.deep.equal({ cancelled: 1, quantity_not_positive: 1 });
  });

  it('on an ISO-dated export with an amount column instead of quantity × price', async () => {
    const header = ['invoice', 'date', 'amount', 'customer_id'];
    const data = [
      ['9001', '2012-05-01 10:00:00', '10.10', 'X'],
      ['9001', '2012-05-01 10:00:00', '0.20', 'X'],
      ['9002', '2012-05-03 09:00:00', '-4', 'X'],
      ['9003', '2012-05-02 18:00:00', '3.333333', 'X'],
      ['C9004', '2012-05-04 18:00:00', '3', 'Y'],
      ['9005', '2012-05-04 18:00:00', '7.5', 'Y'],
      ['9006', '2012-05-09 08:00:00', '1', 'Z'],
    ];
    const file = join(t.dir, 'amount.csv');
    writeFileSync(file, `${[header, ...data].map((r) => r.join(',')).join('\n')}\n`);
    const rows = data.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]!]))) as Row[];
    const { compared } = await compare(file, rows, 'customer_id');
    expect(compared).to.equal(3);
  });
});

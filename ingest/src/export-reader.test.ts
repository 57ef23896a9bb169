import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RfmError } from '@rfm/shared';
import { readExport } from './export-reader.js';
import {
  csv,
  dmyDate,
  EXPECTED,
  isoDate,
  UCI_HEADER,
  UCI_ROWS,
  writeParquet,
  writeUci,
} from './test-support/fixtures.js';

async function rejects(p: Promise<unknown>): Promise<RfmError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(RfmError);
    return e as RfmError;
  }
  throw new Error('expected a rejection');
}

describe('export import: cleaning and RFM (hand-computed export)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rfm-import-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const expectRfm = (r: Awaited<ReturnType<typeof readExport>>) => {
    expect(r.summary.rows_read).to.equal(EXPECTED.rows_read);
    expect(r.summary.rows_kept).to.equal(EXPECTED.rows_kept);
    expect(r.summary.rows_dropped).to.deep.equal(EXPECTED.rows_dropped);
    expect(r.summary.customers).to.equal(EXPECTED.customers);
    expect(r.summary.first_invoice).to.equal(EXPECTED.first_invoice);
    expect(r.summary.last_invoice).to.equal(EXPECTED.last_invoice);
    expect(r.summary.snapshot_date).to.equal(EXPECTED.snapshot_date);
    expect(r.table.cids).to.deep.equal(EXPECTED.cids);
    for (const [i, v] of [...r.table.raw].entries()) expect(v).to.be.closeTo(EXPECTED.raw[i]!, 1e-9);
  };

  it('UCI CSV: drops each bad row under its reason, one row one reason, and computes R, F, M', async () => {
    const path = writeUci(dir);
    const r = await readExport(path);
    expectRfm(r);
    expect(r.dateFormat).to.equal('%m/%d/%Y %H:%M');
    const bytes = readFileSync(path);
    expect(r.summary.source).to.deep.equal({
      file: 'export.csv',
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
      format: 'csv',
    });
    // the first rejected rows of each reason, by line (header = line 1) and the value that failed
    expect(r.summary.rejected_samples).to.deep.equal({
      missing_customer: [
        { line: 9, value: '' },
        { line: 12, value: '' },
      ],
      cancelled: [{ line: 5, value: 'C536367' }],
      unparsable_date: [{ line: 14, value: 'not a date' }],
      unparsable_quantity: [{ line: 13, value: 'abc' }],
      quantity_not_positive: [{ line: 6, value: '-1' }],
      unparsable_price: [{ line: 15, value: 'x' }],
      price_not_positive: [{ line: 8, value: '0' }],
    });
    expect(r.summary.frequency_basis).to.equal('invoices');
    expect(r.summary.reader).to.deep.equal({
      encoding: 'utf-8 (detected)',
      layout: 'known column names',
      date_format: '%m/%d/%Y %H:%M',
      notes: [],
    });
  });

  it('gzip CSV gives the same table', async () => {
    const r = await readExport(writeUci(dir, 'export.csv.gz'));
    expectRfm(r);
    expect(r.summary.source.format).to.equal('csv.gz');
  });

  it('Online Retail II column names and ISO dates give the same table', async () => {
    const header = 'Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country';
    const path = join(dir, 'retail_ii.csv');
    writeFileSync(
      path,
      csv(
        header,
        UCI_ROWS.map((r) => r.map((v, i) => (i === 4 ? isoDate(v) : v))),
      ),
    );
    const r = await readExport(path);
    expectRfm(r);
    expect(r.dateFormat).to.equal('%Y-%m-%d %H:%M:%S');
  });

  it('Parquet with double customer ids (12346.0 → "12346") and text dates', async () => {
    const pq = await writeParquet(dir, writeUci(dir), 'export.parquet');
    const r = await readExport(pq);
    expectRfm(r); // unparsable text became NULL in typed columns and is still counted by reason
    expect(r.summary.source.format).to.equal('parquet');
  });

  it('Parquet with a TIMESTAMP date column uses it as is', async () => {
    const r = await readExport(await writeParquet(dir, writeUci(dir), 'typed.parquet', true));
    expectRfm(r);
    expect(r.dateFormat).to.equal('typed');
  });

  it('detects day/month/year when a day above 12 rules out month/day', async () => {
    const path = join(dir, 'dmy.csv');
    writeFileSync(
      path,
      csv(
        UCI_HEADER,
        UCI_ROWS.map((r) => r.map((v, i) => (i === 4 ? dmyDate(v) : v))),
      ),
    );
    const r = await readExport(path);
    expect(r.dateFormat).to.equal('%d/%m/%Y %H:%M');
    expectRfm(r);
  });

  it('--as-of moves the snapshot: recency counts whole days to it', async () => {
    const r = await readExport(writeUci(dir), { asOf: '2010-12-20' });
    expect(r.summary.snapshot_date).to.equal('2010-12-20');
    expect([0, 1, 2].map((i) => r.table.raw[i * 3])).to.deep.equal([7, 13, 19]);
  });

  it('--as-of before the last invoice is refused (recency would be negative)', async () => {
    const e = await rejects(readExport(writeUci(dir), { asOf: '2010-12-12' }));
    expect(e.code).to.equal('INVALID_INPUT');
    expect(e.message).to.match(/--as-of 2010-12-12 is before the last invoice date 2010-12-13/);
  });

  it('a column mapping with an amount column instead of quantity × price', async () => {
    const path = join(dir, 'mapped.csv');
    writeFileSync(
      path,
      csv('order_ref,client,when,total', [
        ['A1', 'x', '2024-03-01T10:00:00', '10.5'],
        ['A1', 'x', '2024-03-01T10:00:00', '4.5'],
        ['A2', 'x', '2024-03-04T09:00:00', '5'],
        ['A3', 'y', '2024-03-02T12:00:00', '-3'], // amount_not_positive
        ['A4', 'y', '2024-03-03T12:00:00', 'n/a'], // unparsable_amount
        ['A5', 'y', '2024-03-03T08:00:00', '20'],
      ]),
    );
    const r = await readExport(path, {
      columns: { customer: 'client', invoice: 'order_ref', date: 'when', amount: 'total' },
    });
    expect(r.dateFormat).to.equal('ISO');
    expect(r.summary.rows_dropped).to.deep.equal({
      missing_customer: 0,
      cancelled: 0,
      missing_invoice: 0,
      unparsable_date: 0,
      unparsable_amount: 1,
      amount_not_positive: 1,
    });
    expect(r.summary.snapshot_date).to.equal('2024-03-05');
    expect(r.table.cids).to.deep.equal(['x', 'y']);
    expect([...r.table.raw]).to.deep.equal([1, 2, 20, 2, 1, 20]);
  });

  it('an explicit --date-format is used; one that parses nothing is a clear error', async () => {
    const path = join(dir, 'dmy2.csv');
    writeFileSync(
      path,
      csv(
        UCI_HEADER,
        UCI_ROWS.map((r) => r.map((v, i) => (i === 4 ? dmyDate(v) : v))),
      ),
    );
    expectRfm(await readExport(path, { dateFormat: '%d/%m/%Y %H:%M' }));
    const e = await rejects(readExport(path, { dateFormat: '%Y.%m.%d' }));
    expect(e.message).to.match(/--date-format "%Y\.%m\.%d" parses none of the dates in column InvoiceDate/);
  });

  it('unrecognisable dates are named with an example, not silently dropped', async () => {
    const path = join(dir, 'baddates.csv');
    writeFileSync(
      path,
      csv(
        UCI_HEADER,
        UCI_ROWS.map((r) => r.map((v, i) => (i === 4 ? 'someday' : v))),
      ),
    );
    const e = await rejects(readExport(path));
    expect(e.message).to.match(/cannot recognise the dates in column InvoiceDate \(e\.g\. "someday"\).*--date-format/);
  });

  it('a missing column is named, with the columns that were found', async () => {
    const path = join(dir, 'nocust.csv');
    writeFileSync(
      path,
      csv('InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,Country', [
        ['1', 'A', '1', '12/1/2010 8:26', '1.0', 'UK'],
      ]),
    );
    const e = await rejects(readExport(path));
    expect(e.code).to.equal('INVALID_INPUT');
    expect(e.message).to.match(
      /missing required column\(s\): customer\. Columns found: InvoiceNo, StockCode, Quantity, InvoiceDate, UnitPrice, Country/,
    );
    expect(e.issues[0]).to.include({ path: 'columns.customer' });
  });

  it('a mapped column that does not exist is named', async () => {
    const e = await rejects(readExport(writeUci(dir), { columns: { customer: 'Client' } }));
    expect(e.message).to.match(/column "Client" given for customer is not in the file/);
  });

  it('empty file, header only, and no usable rows are clear errors', async () => {
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '');
    expect((await rejects(readExport(empty))).message).to.match(/empty\.csv is empty \(0 bytes\)/);

    const header = join(dir, 'header.csv');
    writeFileSync(header, `${UCI_HEADER}\n`);
    expect((await rejects(readExport(header))).message).to.match(/header\.csv has a header but no data rows/);

    const cancelled = join(dir, 'cancelled.csv');
    writeFileSync(cancelled, csv(UCI_HEADER, [UCI_ROWS[3]!, UCI_ROWS[7]!]));
    const e = await rejects(readExport(cancelled));
    expect(e.message).to.include(
      'no usable rows: all 2 rows were dropped (missing_customer 1 (line 3 ""), cancelled 1 (line 2 "C536367"))',
    );
    expect(e.details).to.deep.include({ rows_read: 2 });
  });

  it('a missing file is NOT_FOUND; an unknown extension is UNSUPPORTED', async () => {
    expect((await rejects(readExport(join(dir, 'nope.csv')))).code).to.equal('NOT_FOUND');
    expect((await rejects(readExport(join(dir, 'export.xls')))).code).to.equal('UNSUPPORTED');
  });

  it('a path with a quote in it is passed to SQL safely', async () => {
    const r = await readExport(writeUci(dir, "o'brien export.csv"));
    expectRfm(r);
    expect(r.summary.source.file).to.equal("o'brien export.csv");
  });
});

import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { guessAttributes, guessMapping, mappingProblems, previewExport, recognised } from './column-guess.js';

describe('upload column check: preview, recognition, best guesses, mapping problems', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rfm-colguess-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('previews the header and sample rows of a CSV and of a gzip CSV (quoted fields, ; separator)', () => {
    const text = 'Client;"Order; ref";When\n"C 1";7;2011-01-02\nC2;8;2011-01-03\n';
    writeFileSync(join(dir, 'a.csv'), text);
    writeFileSync(join(dir, 'a.csv.gz'), gzipSync(text));
    for (const [f, fmt] of [
      ['a.csv', 'csv'],
      ['a.csv.gz', 'csv.gz'],
    ] as const) {
      const p = previewExport(join(dir, f), fmt)!;
      expect(p.columns, f).to.deep.equal(['Client', 'Order; ref', 'When']);
      expect(p.samples, f).to.deep.equal([
        ['C 1', '7', '2011-01-02'],
        ['C2', '8', '2011-01-03'],
      ]);
    }
    expect(previewExport(join(dir, 'a.csv'), 'parquet')).to.equal(null);
  });

  it('known names are recognised; others are guessed from words, each column used once', () => {
    expect(recognised(['InvoiceNo', 'StockCode', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID'])).to.equal(true);
    expect(recognised(['Customer ID', 'Date', 'Amount'])).to.equal(true);
    expect(recognised(['Shopper', 'Placed', 'Units', 'Each'])).to.equal(false);
    expect(guessMapping(['Order Ref', 'Units', 'Placed', 'Each', 'Shopper', 'CustomerID'])).to.deep.equal({
      customer: 'CustomerID',
      invoice: 'Order Ref',
      quantity: 'Units',
      price: 'Each',
    });
    // no name hint for the date: the column whose samples all look like dates
    const samples = [
      ['1', '12/1/2010 9:32', 'x'],
      ['2', '2011-01-03', 'y'],
    ];
    expect(guessMapping(['Shopper', 'Placed', 'Note'], samples)).to.deep.equal({ customer: 'Shopper', date: 'Placed' });
  });

  it('a mapping naming one column twice or leaving out the customer is refused per field', () => {
    expect(mappingProblems({ customer: 'A', date: 'B', amount: 'C' })).to.deep.equal({});
    expect(mappingProblems({ customer: 'A', date: 'A', amount: 'C' })).to.have.keys('date');
    expect(mappingProblems({ date: 'B', quantity: 'Q' })).to.have.keys('customer', 'price');
  });

  it('guesses customer attribute columns: known names first, then words; never a transaction role (the e-mail may be the customer)', () => {
    expect(
      guessAttributes(['Name', 'Email', 'Created at', 'Billing Name', 'Accepts Marketing'], {
        customer: 'Email',
        invoice: 'Name',
      }),
    ).to.deep.equal({
      email: 'Email',
      name: 'Billing Name',
      consent: 'Accepts Marketing',
    });
    expect(
      guessAttributes(['Ref', 'Order No', 'Ordered', 'Paid', 'Contact', 'Person', 'OK to mail'], {
        customer: 'Ref',
        invoice: 'Order No',
        date: 'Ordered',
        amount: 'Paid',
      }),
    ).to.deep.equal({ email: 'Contact', name: 'Person', consent: 'OK to mail' });
    expect(
      guessAttributes(['Customer', 'Date', 'Amount'], { customer: 'Customer', date: 'Date', amount: 'Amount' }),
    ).to.deep.equal({});
  });
});

import { expect } from 'chai';
import { RfmError } from '@rfm/shared';
import { parseColumnMapping, resolveColumns } from './columns.js';
import { chooseDateFormat } from './dates.js';
import { sqlIdent, sqlString } from './sql.js';

const cols = (...names: string[]) => names.map((name) => ({ name, type: 'VARCHAR' }));

describe('column recognition and mapping', () => {
  it('recognises UCI and Online Retail II names', () => {
    const uci = resolveColumns(
      cols('InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country'),
    );
    expect([uci.customer.name, uci.invoice.name, uci.date.name]).to.deep.equal([
      'CustomerID',
      'InvoiceNo',
      'InvoiceDate',
    ]);
    expect(uci.value).to.deep.equal({
      kind: 'quantity_price',
      quantity: { name: 'Quantity', type: 'VARCHAR' },
      price: { name: 'UnitPrice', type: 'VARCHAR' },
    });
    const ii = resolveColumns(
      cols('Invoice', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'Price', 'Customer ID', 'Country'),
    );
    expect([ii.customer.name, ii.invoice.name]).to.deep.equal(['Customer ID', 'Invoice']);
    expect(ii.value.kind === 'quantity_price' && ii.value.price.name).to.equal('Price');
  });

  it('falls back to an amount column when there is no quantity × price', () => {
    const r = resolveColumns(cols('customer_id', 'invoice_id', 'date', 'amount'));
    expect(r.value).to.deep.equal({ kind: 'amount', amount: { name: 'amount', type: 'VARCHAR' } });
  });

  it('lists every missing role at once', () => {
    try {
      resolveColumns(cols('a', 'b'), {}, 'x.csv');
      expect.fail('should throw');
    } catch (e) {
      expect((e as RfmError).message).to.match(
        /^x\.csv: missing required column\(s\): customer, date, quantity, price\. Columns found: a, b/,
      );
    }
  });

  it('parses --columns, and refuses unknown roles, empty names and mixing amount with quantity', () => {
    expect(parseColumnMapping('customer=Customer ID, invoice=Invoice,date=When')).to.deep.equal({
      customer: 'Customer ID',
      invoice: 'Invoice',
      date: 'When',
    });
    expect(() => parseColumnMapping('client=x')).to.throw(RfmError, /unknown role "client"/);
    expect(() => parseColumnMapping('customer=')).to.throw(RfmError, /no column name for customer/);
    expect(() =>
      resolveColumns(cols('c', 'i', 'd', 'q', 'a'), {
        customer: 'c',
        invoice: 'i',
        date: 'd',
        quantity: 'q',
        amount: 'a',
      }),
    ).to.throw(RfmError, /either amount or quantity and price/);
  });

  it('chooses the date format that parses the most rows, the earlier one on a tie, none when nothing parses', () => {
    expect(
      chooseDateFormat([
        { format: 'a', parsed: 5 },
        { format: 'b', parsed: 9 },
        { format: 'c', parsed: 9 },
      ])?.format,
    ).to.equal('b');
    expect(chooseDateFormat([{ format: 'a', parsed: 0 }])).to.equal(undefined);
  });

  it('quotes SQL strings and identifiers', () => {
    expect(sqlString("o'brien.csv")).to.equal("'o''brien.csv'");
    expect(sqlIdent('Customer "ID"')).to.equal('"Customer ""ID"""');
  });
});

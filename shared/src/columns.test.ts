import { expect } from 'chai';
import { columnIndex, EXPORT_COLUMN_NAMES, FEATURE_COLUMN_NAMES, normalizeColumnName } from './index.js';
import { TransactionRowSchema } from './transactions-api.js';

describe('column names (one list for the export reader and both scoring routes)', () => {
  it('ignores case, spaces and punctuation', () => {
    expect(normalizeColumnName(' Customer ID ')).to.equal('customerid');
    expect(normalizeColumnName('invoice_no')).to.equal('invoiceno');
  });

  it('maps every listed name to its role, the first role listing a name winning', () => {
    const idx = columnIndex(EXPORT_COLUMN_NAMES);
    expect(idx.get('invoiceno')).to.equal('invoice');
    expect(idx.get('customerid')).to.equal('customer');
    expect(idx.get('unitprice')).to.equal('price');
    expect(idx.get('stockcode')).to.equal(undefined);
    expect(columnIndex(FEATURE_COLUMN_NAMES).get('recencydays')).to.equal('recency');
  });

  it('the transactions request accepts every export name of every role', () => {
    for (const inv of EXPORT_COLUMN_NAMES.invoice)
      for (const d of EXPORT_COLUMN_NAMES.date) {
        const row = TransactionRowSchema.parse({ [inv]: '1', [d]: '2011-12-09', Amount: 3 }) as {
          invoice: string;
          date: string;
        };
        expect(row.invoice, `${inv}/${d}`).to.equal('1');
        expect(row.date).to.equal('2011-12-09');
      }
  });
});

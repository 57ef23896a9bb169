import { expect } from 'chai';
import { invoiceDay, parseIsoDay } from './transactions.js';

describe('invoiceDay: the calendar day written in a timestamp', () => {
  it('ignores a UTC offset instead of shifting to UTC (as ingest reads exports)', () => {
    const day = parseIsoDay('2011-12-09');
    expect(invoiceDay('2011-12-09T23:50:00-05:00')).to.equal(day);
    expect(invoiceDay('2011-12-09 12:50:00 +0000')).to.equal(day);
    expect(invoiceDay('2011-12-09T00:10:00Z')).to.equal(day);
    expect(invoiceDay('2011-12-09 00:10 +01:00')).to.equal(day);
    expect(invoiceDay('2011-12-09 +0000')).to.equal(null); // an offset needs a time
  });
});

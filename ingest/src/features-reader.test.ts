import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RfmError } from '@rfm/shared';
import { readFeatures } from './features-reader.js';

describe('features reader (--features)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rfm-features-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const fails = async (p: string): Promise<RfmError> => {
    try {
      await readFeatures(p);
    } catch (e) {
      expect(e).to.be.instanceOf(RfmError);
      return e as RfmError;
    }
    throw new Error('expected an error');
  };

  it('reads the pandas baseline layout (CustomerID, Recency, …, extra columns ignored), sorted by id', async () => {
    const r = await readFeatures(
      write('rfm.csv', 'CustomerID,Recency,Frequency,Monetary,cluster\n12347,3,7,4310.0,2\n12346,326,1,77183.6,0\n'),
      { asOf: '2011-12-10' },
    );
    expect(r.table.cids).to.deep.equal(['12346', '12347']);
    expect([...r.table.raw]).to.deep.equal([326, 1, 77183.6, 3, 7, 4310]);
    expect(r.summary).to.deep.include({
      rows_read: 2,
      rows_kept: 2,
      customers: 2,
      snapshot_date: '2011-12-10',
      first_invoice: null,
    });
    expect(r.summary.source.format).to.equal('features');
  });

  it('names the row, column, expected and found value of bad rows', async () => {
    const e = await fails(
      write('bad.csv', 'cid,recency,frequency,monetary\na,1,2,3\nb,x,2,3\nc,1,0.5,3\nd,1,2,-4\ne,1,2,inf\n'),
    );
    expect(e.message).to.match(
      /bad\.csv: 4 invalid row\(s\); first: row 2 \(line 3\), column recency: recency is not a number \(found "x"/,
    );
    expect(e.issues.map((i) => i.path)).to.deep.equal([
      'row 2 (line 3), column recency',
      'row 3 (line 4), column frequency',
      'row 4 (line 5), column monetary',
      'row 5 (line 6), column monetary',
    ]);
    expect(e.issues[3]).to.include({ message: 'monetary is not a number', found: '"inf"' });
    expect(e.issues[1]).to.include({ message: 'frequency out of range', found: '0.5' });
  });

  it('refuses duplicate and missing customer ids', async () => {
    const e = await fails(write('dup.csv', 'cid,recency,frequency,monetary\na,1,2,3\n,1,2,3\na,4,5,6\n'));
    expect(e.issues.map((i) => i.message)).to.deep.equal([
      'customer id is missing',
      'duplicate customer id "a" (first at row 1 (line 2))',
    ]);
  });

  it('names missing columns and lists those found', async () => {
    const e = await fails(write('cols.csv', 'cid,recency,monetary\na,1,3\n'));
    expect(e.message).to.match(/missing required column\(s\): frequency\. Columns found: cid, recency, monetary/);
  });

  it('a header-only file is an error', async () => {
    expect((await fails(write('h.csv', 'cid,recency,frequency,monetary\n'))).message).to.match(
      /h\.csv has no data rows/,
    );
  });
});

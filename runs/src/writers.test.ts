import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDuck } from '@rfm/ingest';
import { customersCsv, writeCustomersFile } from './writers.js';
import { customers } from './test-support.js';
import type { CustomerRows } from './types.js';

function rows(): CustomerRows {
  const c = customers(['a,1', 'b', 'c'], [0, 1, 0], [10.5, 20, 30]);
  c.outlier[1] = 1;
  c.outlier[2] = 2;
  return {
    customers: c,
    segmentNames: ['Best "VIP"', 'At Risk'],
    segmentKeys: ['champions', 'at_risk'],
    history: {
      previousSegment: ['At Risk', null, 'Best "VIP"'],
      segmentSince: ['2026-02-01', '2026-03-01', '2026-01-01'],
    },
  };
}

describe('customer writers', () => {
  it('writes the documented columns, quoting where CSV needs it, outlier empty when unknown', () => {
    const text = [...customersCsv(rows(), { chunkRows: 1 })].join('');
    expect(text.split('\n')).to.deep.equal([
      'cid,recency,frequency,monetary,r_score,f_score,m_score,cluster,segment,distance,outlier,previous_segment,segment_since',
      '"a,1",10,1,10.5,3,3,3,0,"Best ""VIP""",0.000000,false,At Risk,2026-02-01',
      'b,11,2,20,3,3,3,1,At Risk,0.100000,true,,2026-03-01',
      'c,12,3,30,3,3,3,0,"Best ""VIP""",0.200000,,"Best ""VIP""",2026-01-01',
      '',
    ]);
    const only = [...customersCsv(rows(), { segment: 'champions' })].join('').trim().split('\n');
    expect(only.slice(1).map((l) => l.split(',')[0])).to.deep.equal(['"a', 'c']);
    expect(() => [...customersCsv(rows(), { segment: 'Whales' })]).to.throw(
      /no segment "Whales".*Best "VIP" \(Champions\), At Risk/,
    );
  });

  it('writes Parquet with typed columns', async function () {
    this.timeout(30_000);
    const dir = mkdtempSync(join(tmpdir(), 'rfm-writers-'));
    try {
      const out = join(dir, 'sub', 'c.parquet');
      await writeCustomersFile(out, rows());
      const back = await withDuck(async (conn) => {
        const r = await conn.runAndReadAll(
          `SELECT cid, monetary, outlier, segment_since::VARCHAR AS s FROM '${out}' ORDER BY cid`,
        );
        return r.getRowObjectsJson();
      });
      expect(back).to.deep.equal([
        { cid: 'a,1', monetary: 10.5, outlier: false, s: '2026-02-01' },
        { cid: 'b', monetary: 20, outlier: true, s: '2026-03-01' },
        { cid: 'c', monetary: 30, outlier: null, s: '2026-01-01' },
      ]);
      await writeCustomersFile(join(dir, 'c.csv'), rows());
      expect(readFileSync(join(dir, 'c.csv'), 'utf8')).to.match(/^cid,recency/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

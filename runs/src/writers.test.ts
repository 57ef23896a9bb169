import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDuck } from '@rfm/ingest';
import { customersCsv, listedCount, listSuffix, transitionsCsv, writeCustomersFile } from './writers.js';
import { customers } from './test-support/index.js';
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
  function withPeople(): CustomerRows {
    const r = rows();
    r.customers.email = ['a@example.com', '', '=cmd@example.com'];
    r.customers.name = ['Ann, "A"', 'Bob', '+Carl'];
    r.customers.consent = Uint8Array.from([1, 0, 2]);
    return r;
  }

  it('a run with attributes: email-tool columns; people without consent left out unless asked for, and the file says so', () => {
    const text = [...customersCsv(withPeople())].join('');
    expect(text.split('\n')).to.deep.equal([
      'cid,email,name,consent,consent_filter,segment,previous_segment,segment_since,recency,frequency,monetary,' +
        'r_score,f_score,m_score,cluster,distance,outlier',
      '"a,1",a@example.com,"Ann, ""A""",yes,consented_only,"Best ""VIP""",At Risk,2026-02-01,10,1,10.5,3,3,3,0,0.000000,false',
      '',
    ]);
    const all = [...customersCsv(withPeople(), { includeUnconsented: true })].join('').trim().split('\n');
    expect(all).to.have.length(4);
    expect(all[2]).to.equal('b,,Bob,no,all_customers,At Risk,,2026-03-01,11,2,20,3,3,3,1,0.100000,true');
    // a cell a spreadsheet would run gets an apostrophe
    expect(all[3]).to.match(/^c,'=cmd@example.com,'\+Carl,,all_customers,/);
    expect(listedCount(withPeople())).to.equal(1);
    expect(listedCount(withPeople(), { includeUnconsented: true })).to.equal(3);
    expect(listedCount(withPeople(), { segment: 'at_risk' })).to.equal(0);
    expect(listSuffix(withPeople().customers)).to.equal('-consented');
    expect(listSuffix(withPeople().customers, { includeUnconsented: true })).to.equal('-incl-unconsented');
    expect(listSuffix(rows().customers)).to.equal('');
  });

  it("transition lists carry the newer run's attributes and consent rule", () => {
    const c = withPeople().customers;
    const movers = [
      { cid: 'a,1', from: 'At Risk', to: 'Champions', monetaryBefore: 1, monetaryAfter: 2, at: 0 },
      { cid: 'b', from: 'Champions', to: 'At Risk', monetaryBefore: 3, monetaryAfter: 4, at: 1 },
    ];
    expect(transitionsCsv(c, movers).trim().split('\n')).to.deep.equal([
      'cid,email,name,consent,consent_filter,from,to,monetary_before,monetary_after',
      '"a,1",a@example.com,"Ann, ""A""",yes,consented_only,At Risk,Champions,1,2',
    ]);
    expect(transitionsCsv(c, movers, { includeUnconsented: true }).trim().split('\n')).to.have.length(3);
    expect(transitionsCsv(rows().customers, movers).split('\n')[0]).to.equal(
      'cid,from,to,monetary_before,monetary_after',
    );
  });

  it('writes the attribute columns to Parquet too', async function () {
    this.timeout(30_000);
    const dir = mkdtempSync(join(tmpdir(), 'rfm-writers-'));
    try {
      const out = join(dir, 'p.parquet');
      await writeCustomersFile(out, withPeople(), 'parquet', { includeUnconsented: true });
      const back = await withDuck(async (conn) =>
        (
          await conn.runAndReadAll(`SELECT cid, email, consent, consent_filter, r_score FROM '${out}' ORDER BY cid`)
        ).getRowObjectsJson(),
      );
      expect(back.map((r) => [r.cid, r.email, r.consent, r.consent_filter, r.r_score])).to.deep.equal([
        ['a,1', 'a@example.com', 'yes', 'all_customers', 3],
        ['b', null, 'no', 'all_customers', 3],
        ['c', "'=cmd@example.com", null, 'all_customers', 3],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

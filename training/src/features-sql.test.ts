import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readExport, sqlString, withDuck } from '@rfm/ingest';

const HERE = dirname(fileURLToPath(import.meta.url));
const README = join(HERE, '..', 'README.md');
const SAMPLE = join(HERE, '..', '..', 'data', 'online_retail_sample.csv.gz');

describe('the documented Spark SQL / Trino RFM query (training/README.md)', function () {
  this.timeout(60_000);

  it("gives the same RFM table as rfm's import on the real sample", async () => {
    const doc = readFileSync(README, 'utf8');
    const sql = /```sql rfm-features\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(sql, 'README has a ```sql rfm-features block').to.be.a('string');
    const rows = await withDuck(async (conn) => {
      // the warehouse's typed transactions table
      await conn.run(`CREATE TABLE transactions AS
        SELECT InvoiceNo, CAST(Quantity AS DOUBLE) AS Quantity, strptime(InvoiceDate, '%m/%d/%Y %H:%M') AS InvoiceDate,
               CAST(UnitPrice AS DOUBLE) AS UnitPrice, NULLIF(CustomerID, '') AS CustomerID
        FROM read_csv(${sqlString(SAMPLE)}, header = true, all_varchar = true)`);
      const r = await conn.runAndReadAll(
        `SELECT cid, CAST(recency AS DOUBLE) r, CAST(frequency AS DOUBLE) f, CAST(monetary AS DOUBLE) m FROM (${sql}) ORDER BY cid`,
      );
      return r.getRowObjectsJS() as { cid: string; r: number; f: number; m: number }[];
    });
    const ours = await readExport(SAMPLE);
    expect(rows.map((x) => x.cid)).to.deep.equal(ours.table.cids);
    rows.forEach((x, i) => {
      expect(x.r, `recency of ${x.cid}`).to.equal(ours.table.raw[i * 3]);
      expect(x.f, `frequency of ${x.cid}`).to.equal(ours.table.raw[i * 3 + 1]);
      expect(x.m).to.be.closeTo(ours.table.raw[i * 3 + 2]!, 1e-6);
    });
    expect(rows).to.have.length(296);
  });
});

import { expect } from 'chai';
import { queryObjects, withDuck } from './duck.js';
import { trimSql } from './sql.js';

describe('trimSql (DuckDB trim, skipped where it cannot change the value)', () => {
  it('gives what trim gives for every character of the BMP before, after and around a value', async () => {
    // every code point (surrogates excepted) as prefix, suffix, both, alone and inside, plus ASCII edge cases
    const rows = await withDuck((conn) =>
      queryObjects(
        conn,
        `WITH cps AS (SELECT chr(i::INTEGER) AS c FROM range(1, 65536) t(i) WHERE i < 55296 OR i > 57343),
              v AS (SELECT c || 'a1' AS s FROM cps UNION ALL SELECT 'a1' || c FROM cps
                    UNION ALL SELECT c || 'x' || c FROM cps UNION ALL SELECT c FROM cps
                    UNION ALL SELECT 'a' || c || 'b' FROM cps
                    UNION ALL SELECT unnest(['', ' ', '  ', ' 12', '12 ', ' 12 ', 'é', ' é ', '12.5', NULL]))
         SELECT count(*) AS n,
                count(*) FILTER (WHERE ${trimSql('s')} IS DISTINCT FROM trim(s)) AS differ,
                count(*) FILTER (WHERE trim(s) IS DISTINCT FROM s) AS trimmed
         FROM v`,
      ),
    );
    const r = rows[0]!;
    expect(Number(r.n)).to.be.greaterThan(5 * 63_000);
    expect(Number(r.trimmed), 'values that trim changes').to.be.greaterThan(50);
    expect(Number(r.differ)).to.equal(0);
  });
});

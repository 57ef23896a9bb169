import { expect } from 'chai';
import { duckMemoryLimit, queryObjects, withDuck } from './duck.js';

describe('DuckDB memory limit (RFM_DUCKDB_MEMORY)', () => {
  it('defaults to 1GB and reads MB, GB, MiB and GiB', () => {
    expect(duckMemoryLimit({})).to.equal('1024MiB');
    expect(duckMemoryLimit({ RFM_DUCKDB_MEMORY: '512MB' })).to.equal('512MiB');
    expect(duckMemoryLimit({ RFM_DUCKDB_MEMORY: ' 2 GiB ' })).to.equal('2048MiB');
    expect(duckMemoryLimit({ RFM_DUCKDB_MEMORY: '1.5gb' })).to.equal('1536MiB');
  });

  it('refuses a value that is not a size, or below 64MB, naming the variable', () => {
    for (const bad of ['lots', '10MB', '1TB', '-1GB', ''])
      expect(() => duckMemoryLimit({ RFM_DUCKDB_MEMORY: bad }), bad).to.throw(/RFM_DUCKDB_MEMORY must be a size/);
  });

  it('is the limit every import runs under', async () => {
    const prev = process.env.RFM_DUCKDB_MEMORY;
    process.env.RFM_DUCKDB_MEMORY = '256MB';
    try {
      const [row] = await withDuck((conn) =>
        queryObjects(conn, "SELECT current_setting('memory_limit') AS m, current_setting('temp_directory') AS t"),
      );
      expect(String(row?.m)).to.equal('256.0 MiB');
      expect(String(row?.t)).to.match(/rfm-duckdb-/);
    } finally {
      if (prev === undefined) delete process.env.RFM_DUCKDB_MEMORY;
      else process.env.RFM_DUCKDB_MEMORY = prev;
    }
  });
});

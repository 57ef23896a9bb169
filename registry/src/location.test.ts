/**
 * #15's connection rules, checked one by one: what `RFM_REGISTRY` may be (anything URL-like rfm
 * cannot use is an error, never a file), settings from the URL and the PG* variables, TLS options
 * passed through, the pool size, and a password that never reaches a message.
 */
import { expect } from 'chai';
import pg from 'pg';
import { isRfmError } from '@rfm/shared';
import { parseLocation, redactUrl } from './location.js';
import { Registry } from './registry.js';
import { poolConfig } from './store/postgres.js';
import { postgresDatabase, rejects } from './test-support/index.js';

describe('registry location: file path or postgres:// URL, nothing else', () => {
  it('reads file paths and file:// URLs as SQLite, postgres:// and postgresql:// as PostgreSQL', () => {
    expect(parseLocation('data/registry.db')).to.deep.equal({ kind: 'sqlite', file: 'data/registry.db' });
    expect(parseLocation('C:\\rfm\\registry.db')).to.deep.equal({ kind: 'sqlite', file: 'C:\\rfm\\registry.db' });
    expect(parseLocation('file:///srv/rfm/my%20registry.db')).to.deep.equal({
      kind: 'sqlite',
      file: '/srv/rfm/my registry.db',
    });
    expect(parseLocation('postgres://rfm@db:5432/rfm')).to.deep.equal({
      kind: 'postgres',
      url: 'postgres://rfm@db:5432/rfm',
    });
    expect(parseLocation('postgresql://db/rfm').kind).to.equal('postgres');
  });

  it('refuses any other URL-looking value with INVALID_INPUT naming the scheme (before: a folder "postgres:" was created)', () => {
    for (const [value, scheme] of [
      ['mysql://db/rfm', 'mysql'],
      ['http://example.com/registry.db', 'http'],
      ['postgress://db/rfm', 'postgress'],
      ['postgres:db/rfm', 'postgres'],
    ] as const) {
      let err: unknown;
      try {
        parseLocation(value);
      } catch (e) {
        err = e;
      }
      expect(isRfmError(err) && err.code, value).to.equal('INVALID_INPUT');
      expect((err as Error).message).to.include(`"${scheme}:" is not a registry rfm can use`);
    }
  });

  it('redacts the password and the query (sslkey paths) from the URL it shows', () => {
    const shown = redactUrl('postgres://rfm:s3cret@db:5432/rfm?sslmode=verify-full&sslkey=/keys/client.key');
    expect(shown).to.equal('postgres://rfm:***@db:5432/rfm');
  });

  it('sizes the pool from RFM_PG_POOL_SIZE (default 5) and refuses a bad size by name', () => {
    expect(poolConfig('postgres://db/rfm', {}).max).to.equal(5);
    expect(poolConfig('postgres://db/rfm', { RFM_PG_POOL_SIZE: '12' }).max).to.equal(12);
    for (const bad of ['0', '101', 'lots', '2.5'])
      expect(() => poolConfig('postgres://db/rfm', { RFM_PG_POOL_SIZE: bad })).to.throw(/RFM_PG_POOL_SIZE must be/);
  });

  it('passes the TLS options of the URL through to the driver untouched', () => {
    const url = 'postgres://rfm@db/rfm?sslmode=no-verify';
    const cfg = poolConfig(url, {});
    expect(cfg.connectionString).to.equal(url);
    const client = new pg.Client(cfg) as unknown as { connectionParameters: { ssl: unknown } };
    expect(client.connectionParameters.ssl).to.deep.equal({ rejectUnauthorized: false });
  });
});

describe('registry location on a real PostgreSQL: PG* variables, and no password in messages', function () {
  this.timeout(120_000);
  let url: string;
  before(async function () {
    url = await postgresDatabase(this, 'loc');
  });

  it('takes what the URL leaves out from PGUSER / PGDATABASE', async () => {
    const u = new URL(url);
    const saved = { PGUSER: process.env.PGUSER, PGDATABASE: process.env.PGDATABASE };
    process.env.PGUSER = u.username;
    process.env.PGDATABASE = u.pathname.slice(1);
    try {
      const reg = await Registry.open(`postgres://${u.host}`);
      expect(await reg.schemaVersion()).to.be.greaterThan(0);
      await reg.close();
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });

  it('an unreachable database: REGISTRY_UNAVAILABLE, and the password appears nowhere in the error', async () => {
    const err = await rejects(
      Registry.open('postgres://rfm:s3cret-pw@127.0.0.1:1/rfm'),
      /unreachable/,
      'REGISTRY_UNAVAILABLE',
    );
    expect(JSON.stringify({ message: err.message, details: err.details, issues: err.issues })).to.not.include(
      's3cret-pw',
    );
  });
});

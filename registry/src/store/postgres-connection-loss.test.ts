import { expect } from 'chai';
import pg from 'pg';
import { sql } from 'kysely';
import { postgresDatabase } from '../test-support/postgres.js';
import { PostgresStore } from './postgres.js';

/**
 * A pooled connection that the server drops while a query runs on it (a database restart, a
 * failover, an admin's pg_terminate_backend) must fail that query with a clear error and leave the
 * process running. pg emits 'error' on the client as well as failing the query, and pg-pool only
 * listens on idle clients: without a listener of our own the event is unhandled and ends the
 * process — one server of the fleet test died that way when the database restarted under load.
 */
describe('PostgreSQL store: a connection dropped mid-query (real server)', function () {
  this.timeout(60_000);
  let url: string;
  before(async function () {
    url = await postgresDatabase(this, 'droppedconn');
  });

  /** End every other backend of this database as a restart would, once `ready()` says the work is under way. */
  async function terminateOthers(admin: pg.Client, ready: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !ready(); i++) await new Promise((ok) => setTimeout(ok, 25));
    await admin.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
  }

  async function withWatch(fn: (store: PostgresStore, admin: pg.Client) => Promise<void>): Promise<unknown[]> {
    const store = await PostgresStore.open(url);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    // recorded here so the assertion names it (mocha would otherwise fail whichever test runs then)
    process.prependListener('uncaughtException', onUncaught);
    try {
      await fn(store, admin);
      await new Promise((ok) => setTimeout(ok, 300)); // the client's own 'error' comes after the query's
      // the pool recovers: the next query gets a fresh connection
      const again = await sql<{ one: number }>`select 1 as one`.execute(store.db);
      expect(again.rows[0]!.one).to.equal(1);
      return uncaught;
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      await admin.end();
      await store.close();
    }
  }

  it('a query running when its backend ends fails as unreachable; nothing unhandled', async () => {
    const uncaught = await withWatch(async (store, admin) => {
      let started = false;
      const running = sql`select pg_sleep(30)`
        .execute(store.db)
        .then(
          () => null,
          (e: unknown) => store.wrapError(e),
        )
        .finally(() => undefined);
      setTimeout(() => (started = true), 300);
      await terminateOthers(admin, () => started);
      const err = await running;
      expect(err, 'the query must fail').to.be.instanceOf(Error);
      expect((err as Error & { code?: string }).code).to.equal('REGISTRY_UNAVAILABLE');
    });
    expect(uncaught.map(String)).to.deep.equal([]);
  });

  it('a connection held between two statements of a transaction when its backend ends: the transaction fails, nothing unhandled', async () => {
    const uncaught = await withWatch(async (store, admin) => {
      let between = false;
      const tx = store.db
        .transaction()
        .execute(async (trx) => {
          await sql`select 1`.execute(trx);
          between = true; // checked out, no query running: the moment pg-pool does not listen
          await new Promise((ok) => setTimeout(ok, 800));
          await sql`select 2`.execute(trx);
        })
        .then(
          () => null,
          (e: unknown) => e,
        );
      await terminateOthers(admin, () => between);
      expect(await tx, 'the transaction must fail').to.be.instanceOf(Error);
    });
    expect(uncaught.map(String)).to.deep.equal([]);
  });
});

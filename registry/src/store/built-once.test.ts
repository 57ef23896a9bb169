import { expect } from 'chai';
import { makeArtifact } from '@rfm/shared/testing';
import { Registry } from '../index.js';
import { BACKENDS, withRawDb } from '../test-support/index.js';
import { builtOnce } from './built-once.js';
import type { Db } from './store.js';

const byVersion = builtOnce((db: Db, model: string, version: number) =>
  db
    .selectFrom('versions as v')
    .innerJoin('models as m', 'm.id', 'v.model_id')
    .select(['v.version', 'v.created_by'])
    .where('m.name', '=', model)
    .where('v.version', '=', version),
);

for (const backend of BACKENDS)
  describe(`builtOnce: a query compiled once, run with new arguments (${backend.name})`, () => {
    before(async function () {
      await backend.setup(this);
    });
    after(() => backend.cleanup());

    it('answers each call with its own arguments, on every handle', async () => {
      const loc = await backend.fresh();
      const reg = await Registry.open(loc);
      for (const actor of ['ana', 'bo', 'cy']) await reg.register({ modelName: 'm', artifact: makeArtifact(), actor });
      await reg.close();
      for (let round = 0; round < 2; round++)
        await withRawDb(loc, async (db) => {
          expect(await byVersion(db, 'm', 2)).to.deep.equal([{ version: 2, created_by: 'bo' }]);
          expect(await byVersion(db, 'm', 3)).to.deep.equal([{ version: 3, created_by: 'cy' }]);
          expect(await byVersion(db, 'other', 3)).to.deep.equal([]);
        });
    });

    it('refuses a query that does not bind every argument (its SQL would not follow the arguments)', async () => {
      const loc = await backend.fresh();
      await (await Registry.open(loc)).close();
      const bad = builtOnce((db: Db, _unused: string) => db.selectFrom('models').select('id'));
      await withRawDb(loc, async (db) => {
        let err: Error | null = null;
        await bad(db, 'x').catch((e: Error) => (err = e));
        expect(String(err)).to.match(/every argument must reach the query as a bound value/);
      });
    });
  });

import { expect } from 'chai';
import { makeArtifact } from '@rfm/shared/testing';
import { copyRegistry, Registry } from './index.js';
import { BACKENDS, rejects } from './test-support/index.js';

const M = 'customer-segments';
const by = { actor: 'ana', reason: 'copy test' };
const [sqlite, postgres] = BACKENDS as [(typeof BACKENDS)[number], (typeof BACKENDS)[number]];

describe('rfm registry copy: SQLite → PostgreSQL → SQLite', function () {
  this.timeout(120_000);
  before(async function () {
    await postgres.setup(this);
  });
  after(() => sqlite.cleanup());

  it('keeps version numbers, aliases, events, labels, policy and checksums; verified; numbering continues', async () => {
    const a = await sqlite.fresh();
    const reg = await Registry.open(a);
    for (let i = 1; i <= 4; i++)
      await reg.register({ modelName: M, artifact: makeArtifact({ seed: i }), actor: 'ana' });
    await reg.promote(M, 3, { ...by, force: true });
    await reg.rollback(M, by);
    await reg.setAlias(M, 'staging', 2, by);
    await reg.deleteVersion(M, 4, by); // v4's number must stay burnt after the copy
    await reg.relabel(M, 1, 0, 'VIP', by);
    await reg.setPolicy(M, { min_customers: 5 }, by);
    const hist = await reg.history(M);
    await reg.close();

    const b = await postgres.fresh();
    const toPg = await copyRegistry(a, b);
    expect(toPg).to.include({ models: 1, versions: 3, aliases: 2, events: hist.length });
    const c = await sqlite.fresh();
    const back = await copyRegistry(b, c);
    expect(back.digest).to.equal(toPg.digest);

    for (const loc of [b, c]) {
      const r = await Registry.open(loc);
      expect((await r.list(M)).map((v) => `${v.version}:${v.aliases.join('+')}`)).to.deep.equal([
        '1:production',
        '2:staging',
        '3:',
      ]);
      expect(await r.history(M)).to.deep.equal(hist);
      expect(await r.resolveAlias(M, 'production')).to.equal(1);
      expect((await r.loadModel(M, 1)).artifact.segments[0]!.name).to.equal('VIP');
      expect((await r.policy(M)).min_customers).to.equal(5);
      expect((await r.verify()).every((v) => v.ok)).to.equal(true);
      expect((await r.register({ modelName: M, artifact: makeArtifact({ seed: 9 }), actor: 'x' })).version).to.equal(5);
      await r.promote(M, 5, { ...by, force: true });
      expect((await r.rollback(M, by)).to).to.equal(1); // history (and its ids) continue where the source left it
      await r.close();
    }
    await rejects(copyRegistry(a, b), /not empty/, 'CONFLICT');
  });
});

/**
 * Named users on the command line (issue 18), through the built CLI (cli/bin/rfm.js) in real processes:
 * `rfm users add | list | remove | rotate` on a real users file, and with RFM_USERS set, every
 * command that writes to the registry needs RFM_TOKEN of a person with the right role — a viewer is
 * refused (exit 77, the message names the role, nothing changes), an admin is allowed and the event
 * records `cli:NAME`. Without RFM_USERS the CLI acts as before (RFM_ACTOR).
 */
import { expect } from 'chai';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from '@rfm/registry';
import { makeArtifact } from '@rfm/shared/testing';
import { rfmDist, SAMPLE, tempDir } from '../support.js';

const MODEL = 'customer-segments';

describe('rfm users and role checks on CLI writes (built CLI processes)', function () {
  this.timeout(240_000);
  const tmp = tempDir('rfm-users-cli-');
  const registry = join(tmp.dir, 'registry.db');
  const users = join(tmp.dir, 'conf', 'users.json');
  const base = { RFM_REGISTRY: registry, RFM_USERS: users, RFM_ACTOR: '' };
  let viewer = '';
  let admin = '';
  const as = (token: string, args: string[]) => rfmDist(args, { ...base, RFM_TOKEN: token });
  const events = async () => {
    const r = await Registry.openReadOnly(registry);
    try {
      return await r.history(MODEL, { limit: 1000 });
    } finally {
      await r.close();
    }
  };

  before(async () => {
    const r = await Registry.open(registry);
    await r.register({ modelName: MODEL, artifact: makeArtifact({ seed: 1 }), actor: 'setup', promote: true });
    await r.register({ modelName: MODEL, artifact: makeArtifact({ seed: 2 }), actor: 'setup' });
    await r.close();
  });
  after(() => tmp.cleanup());

  it('users add prints a token once (stdout alone) and stores only its sha256, mode 0600; list never shows hashes', async () => {
    const a = await rfmDist(['users', 'add', 'ana', '--role', 'viewer'], base);
    expect(a.code, a.stderr).to.equal(0);
    expect(a.stdout).to.match(/^[A-Za-z0-9_-]{43}\n$/);
    expect(a.stderr).to.include('added ana (viewer)').and.include('shown once');
    viewer = a.stdout.trim();
    const b = await rfmDist(['users', 'add', 'bob', '--role', 'admin', '--json'], base);
    const bj = JSON.parse(b.stdout);
    expect(bj).to.include({ name: 'bob', role: 'admin', rotated: null });
    admin = bj.token;
    const text = readFileSync(users, 'utf8');
    expect(text).to.not.include(viewer).and.not.include(admin);
    expect(statSync(users).mode & 0o777).to.equal(0o600);
    const list = await rfmDist(['users', 'list', '--json'], base);
    expect(JSON.parse(list.stdout).users.map((u: any) => [u.name, u.role])).to.deep.equal([
      ['ana', 'viewer'],
      ['bob', 'admin'],
    ]);
    expect(list.stdout).to.not.match(/[0-9a-f]{64}/);
    expect(JSON.parse(list.stdout).users[0]).to.have.all.keys('name', 'role', 'created', 'rotated');
  });

  it('four rfm users add at once: none is lost (the lock file serialises them)', async () => {
    const names = ['p1', 'p2', 'p3', 'p4'];
    const runs = await Promise.all(names.map((n) => rfmDist(['users', 'add', n, '--role', 'viewer'], base)));
    for (const r of runs) expect(r.code, r.stderr).to.equal(0);
    const list = JSON.parse((await rfmDist(['users', 'list', '--json'], base)).stdout).users.map((u: any) => u.name);
    expect(list).to.include.members(names);
    for (const n of names) expect((await rfmDist(['users', 'remove', n], base)).code).to.equal(0);
  });

  it('duplicate name, unknown name, bad role, reserved name: clear errors with the shared exit codes', async () => {
    const dup = await rfmDist(['users', 'add', 'ana', '--role', 'admin'], base);
    expect([dup.code, dup.stderr]).to.deep.equal([
      75,
      `rfm: CONFLICT: ${users} already has a user "ana" (rfm users rotate ana gives them a new token)\n`,
    ]);
    const unknown = await rfmDist(['users', 'remove', 'zed'], base);
    expect(unknown.code).to.equal(66);
    expect(unknown.stderr).to.include('no user "zed"');
    const role = await rfmDist(['users', 'add', 'cy', '--role', 'owner'], base);
    expect(role.code).to.equal(65);
    expect(role.stderr).to.include('--role: role must be one of: viewer, admin');
    const reserved = await rfmDist(['users', 'add', 'admin', '--role', 'admin'], base);
    expect(reserved.code).to.equal(65);
    expect(reserved.stderr).to.include('reserved for RFM_ADMIN_TOKEN');
    const noFile = await rfmDist(['users', 'list'], { RFM_USERS: '' });
    expect(noFile.code).to.equal(65);
    expect(noFile.stderr).to.include('set RFM_USERS or give --file PATH');
  });

  it('a viewer is refused every registry write (exit 77, naming the admin role) and nothing changes', async () => {
    const before = await events();
    const writes = [
      ['models', 'promote', '2', '--reason', 'r'],
      ['models', 'rollback', '--reason', 'r'],
      ['models', 'relabel', '1', '0', 'Best', '--reason', 'r'],
      ['models', 'archive', '2'],
      ['models', 'alias', 'set', 'staging', '2'],
      ['models', 'tag', '1', 'k', 'v'],
      ['models', 'describe', '1', 'text'],
      ['models', 'delete', '2', '--yes', '--reason', 'r'],
      ['models', 'gc', '--keep', '1'],
      ['models', 'policy', 'set', '--min-silhouette', '0.1'],
      ['train', SAMPLE],
      ['runs', 'delete', 'r-20261130-00000000'],
    ];
    const results = await Promise.all(writes.map((args) => as(viewer, args))); // independent refusals: at once
    for (const [i, args] of writes.entries()) {
      const r = results[i]!;
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(77);
      expect(r.stderr, args.join(' ')).to.include(
        'FORBIDDEN: this needs the admin role; ana is a viewer: nothing was changed',
      );
    }
    expect(await events()).to.deep.equal(before);
  });

  it('no RFM_TOKEN or a token that is no one’s: exit 77, nothing written; a typed --actor is refused, RFM_ACTOR ignored', async () => {
    const none = await rfmDist(['models', 'promote', '2', '--reason', 'r'], base);
    expect(none.code).to.equal(77);
    expect(none.stderr).to.include('needs RFM_TOKEN, the token of a person with the admin role');
    const wrong = await as('x'.repeat(43), ['models', 'promote', '2', '--reason', 'r']);
    expect(wrong.code).to.equal(77);
    expect(wrong.stderr).to.include('RFM_TOKEN is not the token of anyone in the users file');
    const typed = await rfmDist(['models', 'promote', '2', '--reason', 'r', '--actor', 'mallory'], {
      ...base,
      RFM_TOKEN: admin,
    });
    expect(typed.code).to.equal(65);
    expect(typed.stderr).to.include('the token decides who acts');
    // RFM_ACTOR from the environment (compose passes $USER) is not a typed name: ignored, the token decides
    const envActor = await rfmDist(['models', 'describe', '1', 'env actor'], {
      ...base,
      RFM_TOKEN: admin,
      RFM_ACTOR: 'ops-shell',
    });
    expect(envActor.code, envActor.stderr).to.equal(0);
    expect((await events()).find((e) => e.action === 'describe')?.actor).to.equal('cli:bob');
    expect((await events()).some((e) => e.toVersion === 2 && e.alias === 'production')).to.equal(false);
  });

  it('rfm quickstart with RFM_USERS: no, a wrong or a viewer RFM_TOKEN is refused (exit 77, naming admin) before any registry file', async () => {
    const dir = join(tmp.dir, 'quickstart'); // the registry quickstart would create: neither it nor its folder may appear
    const qs = (env: Record<string, string>) =>
      rfmDist(['quickstart', '--registry', join(dir, 'registry.db'), '--port', '0'], { ...base, ...env }, 60_000);
    const said: string[] = [];
    for (const env of [{}, { RFM_TOKEN: 'x'.repeat(43) }, { RFM_TOKEN: viewer }]) {
      const r = await qs(env);
      expect(r.code, `${JSON.stringify(env)}: ${r.stderr}`).to.equal(77);
      expect(existsSync(dir), `${JSON.stringify(env)} created ${dir}`).to.equal(false);
      said.push(r.stderr.trim().split('\n')[0]!);
    }
    expect(said[0]).to.include('needs RFM_TOKEN, the token of a person with the admin role');
    expect(said[1]).to.include('RFM_TOKEN is not the token of anyone in the users file').and.include('the admin role');
    expect(said[2]).to.equal('rfm: FORBIDDEN: this needs the admin role; ana is a viewer: nothing was changed');
  });

  it('rfm runs delete and rfm runs gc (also --dry-run) check the admin role before opening, or creating, a registry', async () => {
    const dir = join(tmp.dir, 'gc'); // a registry that does not exist yet: a refusal must not create it
    const reg = ['--registry', join(dir, 'registry.db')];
    for (const args of [
      ['runs', 'delete', 'r-20261201-00000000', ...reg],
      ['runs', 'gc', '--keep', '1', ...reg],
      ['runs', 'gc', '--keep', '1', '--dry-run', ...reg],
    ]) {
      const r = await rfmDist(args, { ...base, RFM_TOKEN: viewer });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(77);
      expect(r.stderr).to.include('this needs the admin role; ana is a viewer');
      expect(existsSync(dir), `${args.join(' ')} created ${dir}`).to.equal(false);
    }
  });

  it('an admin may write, and the events name the person (cli:bob); a viewer may save a run (cli:ana)', async () => {
    const p = await as(admin, ['models', 'promote', '2', '--reason', 'release', '--force']);
    expect(p.code, p.stderr).to.equal(0);
    const rl = await as(admin, ['models', 'relabel', '2', '0', 'Best Friends', '--reason', 'clearer']);
    expect(rl.code, rl.stderr).to.equal(0);
    const rb = await as(admin, ['models', 'rollback', '--reason', 'undo']);
    expect(rb.code, rb.stderr).to.equal(0);
    const saved = await as(viewer, ['score', SAMPLE, '--out', join(tmp.dir, 'scored.csv'), '--save', '--json']);
    expect(saved.code, saved.stderr).to.equal(0);
    const runId = JSON.parse(saved.stdout).run_id as string;
    expect(runId).to.match(/^r-/);
    const del = await as(admin, ['runs', 'delete', runId]);
    expect(del.code, del.stderr).to.equal(0);
    const evs = await events(); // newest first
    const actorOf = (action: string) => evs.find((e) => e.action === action)?.actor;
    const promoted = evs.find((e) => e.alias === 'production' && e.toVersion === 2 && e.action !== 'rollback');
    expect(promoted?.actor, JSON.stringify(evs.map((e) => [e.action, e.actor]))).to.equal('cli:bob');
    expect(actorOf('relabel')).to.equal('cli:bob');
    expect(actorOf('rollback')).to.equal('cli:bob');
    expect(actorOf('run_save')).to.equal('cli:ana');
    expect(actorOf('run_delete')).to.equal('cli:bob');
  });

  it('rotate gives a new token (the old one stops working); remove ends a person’s access', async () => {
    const r = await rfmDist(['users', 'rotate', 'bob', '--json'], base);
    const fresh = JSON.parse(r.stdout);
    expect(fresh.rotated).to.be.a('string');
    expect(fresh.token).to.not.equal(admin);
    const old = await as(admin, ['models', 'describe', '1', 'x']);
    expect(old.code).to.equal(77);
    expect((await as(fresh.token, ['models', 'describe', '1', 'by bob'])).code).to.equal(0);
    expect((await rfmDist(['users', 'remove', 'bob'], base)).code).to.equal(0);
    const gone = await as(fresh.token, ['models', 'describe', '1', 'y']);
    expect(gone.code).to.equal(77);
    expect(gone.stderr).to.include('not the token of anyone');
  });

  it('a world-readable users file is refused, naming it and the fix', async () => {
    chmodSync(users, 0o644);
    try {
      const r = await rfmDist(['users', 'list'], base);
      expect(r.code).to.equal(65);
      expect(r.stderr).to.include(
        `users file ${users}: other users of this machine can read it (mode 644); run: chmod 600`,
      );
    } finally {
      chmodSync(users, 0o600);
    }
  });

  it('without RFM_USERS the CLI acts as before: the actor is RFM_ACTOR, no token needed', async () => {
    const r = await rfmDist(['models', 'describe', '1', 'plain'], {
      RFM_REGISTRY: registry,
      RFM_USERS: '',
      RFM_ACTOR: 'dana',
    });
    expect(r.code, r.stderr).to.equal(0);
    const last = (await events()).filter((e) => e.action === 'describe')[0];
    expect(last?.actor).to.equal('dana');
  });
});

/**
 * Tokens are secrets (issue 18): a real `rfm serve` (the built CLI, as installed, debug log level) with a
 * users file written by `rfm users add` is signed in to on the web form with a good and a bad token,
 * called through the API with good, wrong and viewer tokens (refused on an admin route), and sees a
 * `rfm users rotate`; its whole stdout/stderr must hold none of the tokens, nor their sha256 (nor the
 * 16-digit prefix sessions use), and every refusal names the person or "unknown token" only. The
 * `rfm users` commands' output and errors (list --json included) never print a stored hash either.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashToken } from '@rfm/shared';
import { registryWithProduction } from '../fixtures/production-registry.js';
import { type CliResult, rfmDist, startServerProcess, tempDir } from '../support.js';

describe('no token or token hash in the log of rfm serve or the output of rfm users (dist processes)', function () {
  this.timeout(240_000);
  const t = tempDir('rfm-no-tokens-');
  const registry = join(t.dir, 'registry.db');
  const users = join(t.dir, 'users.json');
  const env = { RFM_USERS: users };
  const cli: CliResult[] = [];
  const tokens: string[] = [];
  let server: Awaited<ReturnType<typeof startServerProcess>> | undefined;
  let log = '';
  after(async () => {
    await server?.stop();
    t.cleanup();
  });

  async function users_(args: string[], code = 0): Promise<CliResult> {
    const r = await rfmDist(['users', ...args], env);
    expect(r.code, `rfm users ${args.join(' ')}: ${r.stderr}`).to.equal(code);
    cli.push(r);
    return r;
  }
  /** every token seen, its sha256 and the sha256's first 16 hex digits (the session key) */
  const secrets = () => tokens.flatMap((tok) => [tok, hashToken(tok), hashToken(tok).slice(0, 16)]);
  const storedHashes = () =>
    (JSON.parse(readFileSync(users, 'utf8')) as { users: { token_sha256: string }[] }).users.map((u) => u.token_sha256);

  before(async () => {
    await registryWithProduction(registry);
    tokens.push((await users_(['add', 'ana', '--role', 'admin'])).stdout.trim());
    tokens.push(JSON.parse((await users_(['add', 'vic', '--role', 'viewer', '--json'])).stdout).token);
    expect(
      tokens.every((tok) => /^[A-Za-z0-9_-]{43}$/.test(tok)),
      tokens.join(' '),
    ).to.equal(true);
    server = await startServerProcess(['--registry', registry], { ...env, RFM_LOG_LEVEL: 'debug' }, 90_000);
    log = server.startup;
    server.child.stdout!.on('data', (d) => (log += d));
    server.child.stderr!.on('data', (d) => (log += d));
  });

  it('web sign-in, API calls and a rotation: refusals name the person or "unknown token", nothing of any token', async () => {
    const url = server!.url;
    const [ana, vic] = tokens as [string, string];
    const wrong = 'Wr0ngWr0ngWr0ngWr0ngWr0ngWr0ngWr0ngWr0ngWr0';
    tokens.push(wrong);
    const signIn = (token: string) =>
      fetch(`${url}/admin/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, next: '/runs' }).toString(),
      });
    expect((await signIn(ana)).status).to.equal(303);
    const bad = await signIn(wrong);
    expect(bad.status).to.equal(401);
    expect(await bad.text()).to.include('That token is not valid.');
    const api = (token: string, path = '/api/v1/runs', init: RequestInit = {}) =>
      fetch(`${url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
    expect((await api(ana)).status).to.equal(200);
    expect((await api(vic)).status).to.equal(200);
    expect((await api(wrong)).status).to.equal(401);
    const promote = await api(vic, '/api/v1/models/customer-segments/versions/1/promote', {
      method: 'POST',
      body: JSON.stringify({ reason: 'try' }),
    });
    expect(promote.status).to.equal(403);
    expect(((await promote.json()) as { error: { message: string } }).error.message).to.equal(
      'this needs the admin role; vic is a viewer: nothing was changed',
    );
    const rotated = (await users_(['rotate', 'vic'])).stdout.trim();
    tokens.push(rotated);
    expect((await api(rotated)).status).to.equal(200);
    expect((await api(vic)).status, 'the old token after rotate').to.equal(401);
    await server!.stop(); // flushes the log

    const lines = log.split('\n').filter((l) => l.startsWith('{'));
    expect(lines.length, 'debug log lines').to.be.above(10);
    for (const s of secrets()) expect(log, `the server log holds ${s}`).not.to.include(s);
    const refusals = lines.map((l) => JSON.parse(l)).filter((j) => /^refused/.test(j.msg));
    // the web form, the API's wrong token and vic's old token; vic on the admin route
    expect(refusals.map((j) => [j.who, j.msg])).to.deep.equal([
      ['unknown token', 'refused: unknown token'],
      ['unknown token', 'refused: unknown token'],
      ['vic', 'refused: vic lacks the admin role'],
      ['unknown token', 'refused: unknown token'],
    ]);
    for (const j of refusals)
      expect(Object.keys(j).sort(), JSON.stringify(j))
        .to.include.members(['who', 'method', 'path'])
        .and.not.include('token');
    expect(lines.some((l) => JSON.parse(l).msg === 'signed in: ana')).to.equal(true);
  });

  it('rfm users add|list|rotate|remove print no stored hash, in text or --json, nor in their errors', async () => {
    await users_(['list']);
    await users_(['list', '--json']);
    await users_(['add', 'ana', '--role', 'viewer'], 75); // already there
    await users_(['rotate', 'nobody'], 66);
    await users_(['remove', 'vic']);
    await users_(['remove', 'vic'], 66);
    // a users file broken by hand: the error describes where, without quoting it
    const text = readFileSync(users, 'utf8');
    // (a stray letter before a hash: V8's own message would quote `..."_sha256": x"0ee73829"...`)
    writeFileSync(users, text.replace('"token_sha256": "', '"token_sha256": x"'), { mode: 0o600 });
    const broken = await users_(['list', '--json'], 65);
    expect(broken.stdout + broken.stderr).to.include("users.json: not valid JSON (Unexpected token 'x')");
    writeFileSync(users, text, { mode: 0o600 });
    await users_(['list']);

    const hashes = [...storedHashes(), ...tokens.map(hashToken)];
    expect(hashes.length).to.be.above(3);
    for (const r of cli)
      for (const h of hashes) {
        expect(r.stdout, 'stdout').not.to.include(h.slice(0, 8));
        expect(r.stderr, 'stderr').not.to.include(h.slice(0, 8));
      }
  });
});

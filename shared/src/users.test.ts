import { expect } from 'chai';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RfmError } from './errors.js';
import { hashToken, matchToken, parseUsersFile, roleAllows, type UserEntry } from './users.js';
import { People, readUsersFile, updateUsersFile, writeUsersFile } from './users-file.js';

const AT = '2026-11-30T23:00:00.000Z';
const entry = (name: string, role: 'viewer' | 'admin', token: string): UserEntry => ({
  name,
  role,
  token_sha256: hashToken(token),
  created: AT,
  rotated: null,
});
const refusal = (text: string): string => {
  try {
    parseUsersFile(text, 'conf/users.json');
  } catch (e) {
    expect(e).to.be.instanceOf(RfmError);
    expect((e as RfmError).code).to.equal('INVALID_INPUT');
    return (e as RfmError).message;
  }
  throw new Error('expected a refusal');
};
const file = (users: unknown[]) => JSON.stringify({ users });

describe('users file', () => {
  it('parses entries; the sha256 of a token finds its person (constant-time over all); roles nest', () => {
    const users = parseUsersFile(
      file([entry('ana', 'viewer', 'a'.repeat(43)), entry('bob', 'admin', 'b'.repeat(43))]),
      'f',
    );
    expect(matchToken(users, 'b'.repeat(43))).to.deep.equal({
      name: 'bob',
      role: 'admin',
      key: hashToken('b'.repeat(43)).slice(0, 16),
    });
    expect(matchToken(users, 'c'.repeat(43))).to.equal(null);
    expect([
      roleAllows('admin', 'viewer'),
      roleAllows('viewer', 'viewer'),
      roleAllows('viewer', 'admin'),
    ]).to.deep.equal([true, true, false]);
  });

  it('bad files are refused naming the file, the entry and the field', () => {
    expect(refusal('{"users": [')).to.match(/^users file conf\/users\.json: not valid JSON/);
    const good = entry('ana', 'viewer', 'a'.repeat(43));
    expect(refusal(file([good, { ...good, name: 'cy', role: 'owner' }]))).to.equal(
      'users file conf/users.json: entry 2 ("cy"), field role: role must be one of: viewer, admin',
    );
    expect(refusal(file([{ ...good, token_sha256: 'a'.repeat(43) }]))).to.equal(
      'users file conf/users.json: entry 1 ("ana"), field token_sha256: this looks like a token, not its sha256: ' +
        'the users file must never hold a token (rfm users rotate NAME makes a new one)',
    );
    expect(refusal(file([{ ...good, token: 'a'.repeat(43) }]))).to.equal(
      'users file conf/users.json: entry 1 ("ana"), field token: the users file must never hold a token or secret, only token_sha256',
    );
    expect(refusal(file([good, good]))).to.equal('users file conf/users.json: entry 2 ("ana"): the name appears twice');
    expect(refusal(file([{ ...good, name: 'admin' }]))).to.include(
      'entry 1 ("admin"), field name: "admin" and "reader" are reserved',
    );
    expect(refusal(file([{ ...good, created: 'yesterday' }]))).to.include(
      'entry 1 ("ana"), field created: an ISO date-time',
    );
    expect(refusal('{"people": []}')).to.match(/^users file conf\/users\.json: /);
  });

  it('broken JSON is described by line and column, never by quoting the file (its hashes, or a pasted token)', () => {
    const hash = `e${hashToken('t'.repeat(43)).slice(1)}`; // starting with a letter: not read as a number
    const token = 'Zk3'.repeat(15);
    // an unquoted hash: V8 quotes the text around the bad token ('..."_sha256": eee7…"... is not valid JSON')
    const unquoted = `{"users": [\n  {"name": "ana", "token_sha256": ${hash}}\n]}`;
    expect(refusal(unquoted)).to.equal("users file conf/users.json: not valid JSON (Unexpected token 'e')");
    const trailing = `{"users": [\n  {"name": "ana", "token": "${token}",}\n]}`;
    expect(refusal(trailing)).to.equal(
      'users file conf/users.json: not valid JSON (Expected double-quoted property name, line 2 column 76)',
    );
    const unterminated = `{"users": [{"name": "ana", "token_sha256": "${hash}`;
    for (const text of [unquoted, trailing, unterminated, `${token}`, `{"users": [${token}]}`]) {
      const said = refusal(text);
      expect(said, said).not.to.match(/[0-9a-f]{12}|Zk3Zk3/);
    }
  });

  describe('on disk', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'rfm-users-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('is written atomically with mode 0600 (no temp file left) and read back', () => {
      const f = join(dir, 'users.json');
      writeUsersFile(f, [entry('ana', 'viewer', 'x'.repeat(43))]);
      expect(statSync(f).mode & 0o777).to.equal(0o600);
      expect(readdirSync(dir)).to.deep.equal(['users.json']);
      expect(readUsersFile(f).map((u) => u.name)).to.deep.equal(['ana']);
    });

    it('a file other users can read or write is refused with the fix; a missing one says how to make it', () => {
      const f = join(dir, 'users.json');
      writeUsersFile(f, []);
      chmodSync(f, 0o604);
      expect(() => readUsersFile(f)).to.throw(
        `users file ${f}: other users of this machine can read it (mode 604); run: chmod 600 ${f}`,
      );
      chmodSync(f, 0o602);
      expect(() => readUsersFile(f)).to.throw('can write it');
      expect(() => readUsersFile(join(dir, 'nope.json'))).to.throw(
        'does not exist (rfm users add NAME --role viewer|admin creates it)',
      );
    });

    it('updates take a lock beside the file: a held lock is a CONFLICT naming it, and nothing is written', () => {
      const f = join(dir, 'users.json');
      updateUsersFile(f, (u) => u.push(entry('ana', 'viewer', 'a'.repeat(43))));
      expect(readdirSync(dir)).to.deep.equal(['users.json']); // the lock is gone
      writeFileSync(`${f}.lock`, '');
      expect(() => updateUsersFile(f, (u) => u.push(entry('bob', 'admin', 'b'.repeat(43))), 200)).to.throw(
        `users file ${f} is locked by another rfm users command (${f}.lock)`,
      );
      expect(readUsersFile(f).map((u) => u.name)).to.deep.equal(['ana']);
    });

    it('People: env tokens are admin/reader; a changed file is re-read; one turned bad fails closed and is reported', () => {
      const f = join(dir, 'users.json');
      writeUsersFile(f, [entry('ana', 'viewer', 'a'.repeat(43))]);
      const problems: string[] = [];
      const p = new People({
        file: f,
        adminToken: 'e'.repeat(32),
        readToken: 'r'.repeat(32),
        onProblem: (e) => problems.push(e.message),
      });
      expect(p.byToken('e'.repeat(32))).to.include({ name: 'admin', role: 'admin' });
      expect(p.byToken('r'.repeat(32))).to.include({ name: 'reader', role: 'viewer' });
      expect(p.byToken('a'.repeat(43))).to.include({ name: 'ana', role: 'viewer' });
      writeUsersFile(f, [entry('ana', 'admin', 'a'.repeat(43))]);
      expect(p.byName('ana')?.role).to.equal('admin');
      writeFileSync(f, '{"users": [{"name": "ana"}]}');
      expect(p.byToken('a'.repeat(43))).to.equal(null);
      expect(p.byToken('e'.repeat(32))?.name, 'env people still work').to.equal('admin');
      expect(problems).to.have.length(1);
      expect(problems[0]).to.include('entry 1 ("ana"), field role');
      expect(() => new People({ file: f })).to.throw('field role');
    });
  });
});

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { RfmError } from './errors.js';
import {
  ENV_ADMIN_NAME,
  ENV_READER_NAME,
  hashToken,
  matchToken,
  parseUsersFile,
  type Person,
  type Role,
  serializeUsersFile,
  type UserEntry,
} from './users.js';

/**
 * Reading and writing the users file, and the directory the server asks "whose token is this?".
 * The file holds hashes only, but who may do what is still worth keeping private: one that other
 * users of the machine can read or write is refused (chmod 600 fixes it).
 */
export function readUsersFile(file: string): UserEntry[] {
  let text: string;
  try {
    const st = statSync(file);
    if (process.platform !== 'win32' && (st.mode & 0o007) !== 0)
      throw new RfmError(
        'INVALID_INPUT',
        `users file ${file}: other users of this machine can ${st.mode & 0o002 ? 'write' : 'read'} it (mode ${(st.mode & 0o777).toString(8)}); ` +
          `run: chmod 600 ${file}`,
        { issues: [{ path: file, message: 'world-accessible' }] },
      );
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof RfmError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new RfmError(
      code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_INPUT',
      code === 'ENOENT'
        ? `users file ${file} does not exist (rfm users add NAME --role viewer|admin creates it)`
        : `users file ${file}: cannot read it (${code ?? (e as Error).message})`,
    );
  }
  return parseUsersFile(text, file);
}

/** The users, or none when the file does not exist yet (for `rfm users add`). */
export function readUsersFileOrEmpty(file: string): UserEntry[] {
  try {
    return readUsersFile(file);
  } catch (e) {
    if (e instanceof RfmError && e.code === 'NOT_FOUND') return [];
    throw e;
  }
}

/** Write the whole file atomically: a temp file (mode 0600) beside it, fsync, rename over. */
export function writeUsersFile(file: string, users: readonly UserEntry[]): void {
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, serializeUsersFile(users));
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
}

/**
 * Read, change and write the file under a lock file beside it (`<file>.lock`, created exclusively),
 * so two `rfm users` commands at once cannot lose each other's change. A lock held longer than
 * `waitMs` is reported with its path (a command killed mid-way leaves it; remove it by hand).
 */
export function updateUsersFile<T>(file: string, change: (users: UserEntry[]) => T, waitMs = 5000): T {
  const lock = `${file}.lock`;
  const deadline = Date.now() + waitMs;
  let fd: number | null = null;
  while (fd === null) {
    try {
      fd = openSync(lock, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (Date.now() > deadline)
        throw new RfmError(
          'CONFLICT',
          `users file ${file} is locked by another rfm users command (${lock}); if none is running, remove the lock file`,
        );
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50); // a short synchronous pause
    }
  }
  try {
    const users = readUsersFileOrEmpty(file);
    const out = change(users);
    writeUsersFile(file, users);
    return out;
  } finally {
    closeSync(fd);
    rmSync(lock, { force: true });
  }
}

export interface PeopleOptions {
  /** the users file (RFM_USERS) */
  file?: string | undefined;
  /** RFM_ADMIN_TOKEN: one admin called `admin` */
  adminToken?: string | undefined;
  /** RFM_READ_TOKEN: one viewer called `reader` */
  readToken?: string | undefined;
  /** told when a changed users file cannot be read (its people are then refused until it is fixed) */
  onProblem?: (e: RfmError) => void;
}

/**
 * Everyone who can authenticate to a server: the users file's people and the env tokens' two.
 * The file is read at construction (a bad file stops the server starting) and again whenever its
 * stat (inode, size, mtime) changes, checked on every lookup — one stat call — so `rfm users
 * remove` and `rotate` take effect on the next request without a restart. A file that turns bad
 * while serving fails closed: nobody from it is recognised until it is fixed.
 */
export class People {
  private readonly file: string | undefined;
  private readonly env: { name: string; role: Role; token_sha256: string }[] = [];
  private fromFile: UserEntry[] = [];
  private stamp = '';
  private readonly onProblem: ((e: RfmError) => void) | undefined;

  constructor(o: PeopleOptions) {
    this.file = o.file;
    this.onProblem = o.onProblem;
    if (o.adminToken) this.env.push({ name: ENV_ADMIN_NAME, role: 'admin', token_sha256: hashToken(o.adminToken) });
    if (o.readToken) this.env.push({ name: ENV_READER_NAME, role: 'viewer', token_sha256: hashToken(o.readToken) });
    if (this.file) {
      this.stamp = this.stat();
      this.fromFile = readUsersFile(this.file);
    }
  }

  private stat(): string {
    try {
      const s = statSync(this.file!, { bigint: true });
      return `${s.ino}:${s.size}:${s.mtimeNs}:${s.mode}`;
    } catch {
      return 'missing';
    }
  }

  private refresh(): void {
    if (!this.file) return;
    const now = this.stat();
    if (now === this.stamp) return;
    this.stamp = now;
    try {
      this.fromFile = readUsersFile(this.file);
    } catch (e) {
      this.fromFile = [];
      if (e instanceof RfmError) this.onProblem?.(e);
    }
  }

  /** Whether anyone at all can sign in (otherwise guarded routes say how to enable them). */
  get anyone(): boolean {
    this.refresh();
    return this.env.length > 0 || this.fromFile.length > 0 || this.file !== undefined;
  }

  /** The person holding `token`, or null. */
  byToken(token: string): Person | null {
    this.refresh();
    return matchToken([...this.env, ...this.fromFile], token);
  }

  /** The person called `name` as they are now (null once removed), for sessions. */
  byName(name: string): Person | null {
    this.refresh();
    const e = [...this.env, ...this.fromFile].find((u) => u.name === name);
    return e ? { name: e.name, role: e.role, key: e.token_sha256.slice(0, 16) } : null;
  }
}

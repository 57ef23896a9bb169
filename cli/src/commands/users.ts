import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { UserEntry } from '@rfm/shared';
import { RfmError } from '@rfm/shared/errors';
import { loadsRuntime, runtime } from '../runtime.js';
import { emit, table } from '../output.js';
import { newAdminToken } from './token.js';

/**
 * `rfm users add | list | remove | rotate`: the people of the users file (RFM_USERS) and their
 * roles. A new token is printed once, alone on stdout (so `T=$(rfm users add ana --role viewer)`
 * works), and only its sha256 is stored; the file is rewritten atomically with mode 0600, under a
 * lock file so that two commands at once cannot lose a change. A running
 * server sees every change on its next request (it re-reads the file when it changes).
 */
interface UsersFlags {
  file?: string;
  json?: boolean;
}

function usersFile(o: UsersFlags): string {
  const file = o.file ?? runtime().shared.loadConfig(process.env).users;
  if (!file)
    throw new RfmError('INVALID_INPUT', 'which users file? set RFM_USERS or give --file PATH', {
      issues: [{ path: 'RFM_USERS', message: 'not set' }],
    });
  return file;
}

const nameArg = (name: string) => runtime().shared.parseOrThrow(runtime().shared.UserNameSchema, name, 'name', 'name');

function find(users: UserEntry[], name: string, file: string): number {
  const i = users.findIndex((u) => u.name === name);
  if (i < 0)
    throw new RfmError('NOT_FOUND', `no user "${name}" in ${file} (rfm users list shows who there is)`, {
      details: { name },
    });
  return i;
}

const publicEntry = ({ name, role, created, rotated }: UserEntry) => ({ name, role, created, rotated });

/** The token alone on stdout; what it is, on stderr (never both in one stream, so it can be captured). */
function showToken(o: UsersFlags, entry: UserEntry, token: string, said: string): void {
  if (o.json) emit(o, { ...publicEntry(entry), token }, () => '');
  else {
    process.stdout.write(`${token}\n`);
    process.stderr.write(
      `${said}; the token above is shown once (only its sha256 is kept): give it to ${entry.name}\n`,
    );
  }
}

export function registerUsersCommands(program: Command): void {
  loadsRuntime(program);
  const users = program
    .command('users')
    .description('named people who may use the server and the registry, with a role each (viewer or admin)');
  const common = (c: Command) =>
    c.option('--file <path>', 'the users file (env RFM_USERS)').option('--json', 'print one JSON object for machines');

  common(
    users
      .command('add')
      .argument('<name>', 'who: 1–64 letters, digits, . _ @ -')
      .requiredOption(
        '--role <role>',
        'viewer (runs, lists, lookups) or admin (also train, promote, roll back, delete)',
      )
      .description('add a person; prints their new token once'),
  ).action((name: string, o: UsersFlags & { role: string }) => {
    const n = nameArg(name);
    const role = runtime().shared.parseOrThrow(runtime().shared.RoleSchema, o.role, 'role', '--role');
    const file = usersFile(o);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const token = newAdminToken();
    const entry: UserEntry = {
      name: n,
      role,
      token_sha256: runtime().shared.hashToken(token),
      created: new Date().toISOString(),
      rotated: null,
    };
    runtime().shared.updateUsersFile(file, (list) => {
      if (list.some((u) => u.name === n))
        throw new RfmError(
          'CONFLICT',
          `${file} already has a user "${n}" (rfm users rotate ${n} gives them a new token)`,
          {
            details: { name: n },
          },
        );
      list.push(entry);
    });
    showToken(o, entry, token, `added ${n} (${role}) to ${file}`);
  });

  common(users.command('list').description('who there is: names, roles, dates (never tokens or hashes)')).action(
    (o: UsersFlags) => {
      const file = usersFile(o);
      const list = runtime().shared.readUsersFile(file);
      emit(o, { users: list.map(publicEntry) }, () =>
        list.length
          ? table(
              ['NAME', 'ROLE', 'CREATED', 'ROTATED'],
              list.map((u) => [
                u.name,
                u.role,
                u.created.slice(0, 16).replace('T', ' '),
                u.rotated?.slice(0, 16).replace('T', ' ') ?? '—',
              ]),
            )
          : `no users in ${file}`,
      );
    },
  );

  common(
    users.command('remove').argument('<name>').description('remove a person: their token and sessions stop working'),
  ).action((name: string, o: UsersFlags) => {
    const n = nameArg(name);
    const file = usersFile(o);
    const gone = runtime().shared.updateUsersFile(file, (list) => list.splice(find(list, n, file), 1)[0]!);
    emit(o, { removed: publicEntry(gone) }, () => `removed ${n} (${gone.role}) from ${file}`);
  });

  common(
    users
      .command('rotate')
      .argument('<name>')
      .description('give a person a new token (printed once); the old one and their sessions stop working'),
  ).action((name: string, o: UsersFlags) => {
    const n = nameArg(name);
    const file = usersFile(o);
    const token = newAdminToken();
    const entry = runtime().shared.updateUsersFile(file, (list) => {
      const i = find(list, n, file);
      list[i] = { ...list[i]!, token_sha256: runtime().shared.hashToken(token), rotated: new Date().toISOString() };
      return list[i]!;
    });
    showToken(o, entry, token, `rotated the token of ${n} (${entry.role}) in ${file}`);
  });
}

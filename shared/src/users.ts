import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { RfmError } from './errors.js';

/**
 * Named people and their roles (issue 18). The users file (path in RFM_USERS) holds one entry per
 * person: name, role and the sha256 of their token — never the token itself. Tokens are 256 random
 * bits (`rfm users add` / `rfm token`), so a plain sha256 cannot be reversed by guessing; a slow
 * password hash would only add latency to every request.
 *
 * Two roles: `viewer` (score exports, read runs, download lists, look up customers) and `admin`
 * (everything a viewer does, and train, promote, roll back, relabel, delete, manage retention).
 * RFM_ADMIN_TOKEN is one admin called `admin`; RFM_READ_TOKEN one viewer called `reader`.
 */
export const ROLES = ['viewer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The people the env tokens stand for; these names cannot be used in the users file. */
export const ENV_ADMIN_NAME = 'admin';
export const ENV_READER_NAME = 'reader';

export const USER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export const UserNameSchema = z
  .string({ error: 'a name is text' })
  .regex(USER_NAME_PATTERN, { error: 'a name is 1–64 letters, digits, . _ @ - (starting with a letter or digit)' })
  .refine((n) => n !== ENV_ADMIN_NAME && n !== ENV_READER_NAME, {
    error: `"${ENV_ADMIN_NAME}" and "${ENV_READER_NAME}" are reserved for RFM_ADMIN_TOKEN and RFM_READ_TOKEN`,
  });

export const RoleSchema = z.enum(ROLES, { error: `role must be one of: ${ROLES.join(', ')}` });

const HASH = /^[0-9a-f]{64}$/;
/** 32+ characters of base64url: what a token (not a hash) looks like. */
const TOKEN_LIKE = /^[A-Za-z0-9_-]{32,}$/;

const Iso = z.iso.datetime({ error: 'an ISO date-time such as 2026-11-30T23:00:00.000Z' });

export const UserEntrySchema = z
  .object({
    name: UserNameSchema,
    role: RoleSchema,
    token_sha256: z.string({ error: 'the sha256 of the token (64 hex digits)' }).superRefine((v, ctx) => {
      if (HASH.test(v)) return;
      ctx.addIssue({
        code: 'custom',
        message: TOKEN_LIKE.test(v)
          ? 'this looks like a token, not its sha256: the users file must never hold a token (rfm users rotate NAME makes a new one)'
          : 'the sha256 of the token: 64 lowercase hex digits',
      });
    }),
    created: Iso,
    rotated: Iso.nullable().default(null),
  })
  .catchall(z.unknown())
  .superRefine((o, ctx) => {
    for (const k of Object.keys(o))
      if (!['name', 'role', 'token_sha256', 'created', 'rotated'].includes(k))
        ctx.addIssue({
          code: 'custom',
          path: [k],
          message: /token|secret|password/i.test(k)
            ? 'the users file must never hold a token or secret, only token_sha256'
            : 'unknown field (expected name, role, token_sha256, created, rotated)',
        });
  })
  .transform(({ name, role, token_sha256, created, rotated }) => ({ name, role, token_sha256, created, rotated }));
export type UserEntry = z.output<typeof UserEntrySchema>;

export const UsersFileSchema = z.strictObject({
  users: z.array(UserEntrySchema, { error: 'a list of users' }).max(10_000),
});

/** The sha256 (hex) of a token, as the users file stores it. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * What is wrong with the JSON, without V8's quote of the text around it (`..."token_sha256": eee7…"`):
 * that quote would put part of a stored hash, or a token pasted in by mistake, into logs and
 * terminals. The position becomes a line and column instead.
 */
export function jsonProblem(message: string, text: string): string {
  const what = message.split(/,\s*(?:\.\.\.)?"/)[0]!.replace(/\s+in JSON\b.*$|\s+at position \d+.*$/, '');
  const at = /at position (\d+)/.exec(message);
  if (!at) return what;
  const before = text.slice(0, Number(at[1]));
  const line = before.split('\n').length;
  return `${what}, line ${line} column ${before.length - before.lastIndexOf('\n')}`;
}

/**
 * Parse the text of a users file; any problem is INVALID_INPUT naming the file, the entry (number
 * and name when readable) and the field. Duplicate names are refused (one person, one entry).
 */
export function parseUsersFile(text: string, file: string): UserEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RfmError(
      'INVALID_INPUT',
      `users file ${file}: not valid JSON (${jsonProblem((e as Error).message, text)})`,
      {
        issues: [{ path: file, message: 'not valid JSON' }],
      },
    );
  }
  const r = UsersFileSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const [top, idx, field] = i.path;
    let where = i.path.length ? i.path.map(String).join('.') : '(root)';
    if (top === 'users' && typeof idx === 'number') {
      const entry = (raw as { users: unknown[] }).users[idx] as { name?: unknown } | undefined;
      const name = typeof entry?.name === 'string' ? ` (${JSON.stringify(entry.name.slice(0, 64))})` : '';
      where = `entry ${idx + 1}${name}${field !== undefined ? `, field ${String(field)}` : ''}`;
    }
    throw new RfmError('INVALID_INPUT', `users file ${file}: ${where}: ${i.message}`, {
      issues: [{ path: where, message: i.message }],
    });
  }
  const seen = new Set<string>();
  r.data.users.forEach((u, i) => {
    if (seen.has(u.name))
      throw new RfmError('INVALID_INPUT', `users file ${file}: entry ${i + 1} ("${u.name}"): the name appears twice`, {
        issues: [{ path: `entry ${i + 1}, field name`, message: 'duplicate name' }],
      });
    seen.add(u.name);
  });
  return r.data.users;
}

export function serializeUsersFile(users: readonly UserEntry[]): string {
  return `${JSON.stringify({ users }, null, 2)}\n`;
}

/** One authenticated person. `key` changes when their token changes (a rotation ends their sessions). */
export interface Person {
  name: string;
  role: Role;
  key: string;
}

/** Whether `role` may do what needs `need` (admin includes viewer). */
export function roleAllows(role: Role, need: Role): boolean {
  return need === 'viewer' || role === 'admin';
}

/** The person whose token hash matches, compared in constant time over every entry. */
export function matchToken(
  candidates: readonly { name: string; role: Role; token_sha256: string }[],
  token: string,
): Person | null {
  const got = Buffer.from(hashToken(token), 'hex');
  let found: Person | null = null;
  for (const c of candidates) {
    const want = Buffer.from(c.token_sha256, 'hex');
    if (want.length === got.length && timingSafeEqual(want, got) && !found)
      found = { name: c.name, role: c.role, key: c.token_sha256.slice(0, 16) };
  }
  return found;
}

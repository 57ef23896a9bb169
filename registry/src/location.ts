import { RfmError } from '@rfm/shared';

/** Where a registry lives: a SQLite file, or a PostgreSQL database named by a URL. */
export type RegistryLocation = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

/** `scheme:` followed by `//` — what a URL looks like (a Windows drive `C:\…` has one letter and no `//`). */
const URL_LIKE = /^([A-Za-z][A-Za-z0-9+.-]+):\/\//;

/**
 * Read `RFM_REGISTRY` / `--registry`: a `postgres://` or `postgresql://` URL, or a file path.
 * Anything else that looks like a URL is refused: before this, `postgres://…` with a typo became
 * a folder named `postgres:` holding a fresh SQLite registry, and everything seemed to work.
 */
export function parseLocation(value: string): RegistryLocation {
  const v = value.trim();
  const m = URL_LIKE.exec(v);
  if (!m) {
    // `postgres:host/db` (slashes forgotten) is a typo of a URL, not a file to create
    if (/^postgres(ql)?:/i.test(v)) throw unsupported(v.slice(0, v.indexOf(':')));
    return { kind: 'sqlite', file: value };
  }
  const scheme = m[1]!.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return { kind: 'postgres', url: v };
  if (scheme === 'file') return { kind: 'sqlite', file: decodeURIComponent(new URL(v).pathname) };
  throw unsupported(scheme);
}

function unsupported(scheme: string): RfmError {
  return new RfmError(
    'INVALID_INPUT',
    `registry: "${scheme.slice(0, 20)}:" is not a registry rfm can use; give a file path (SQLite) or a postgres://user@host/db URL`,
    {
      issues: [
        {
          path: 'registry',
          message: 'unsupported scheme',
          expected: 'a file path or postgres://…',
          found: `${scheme.slice(0, 20)}:`,
        },
      ],
    },
  );
}

/** A URL fit for logs and messages: user kept, password and query (sslkey paths, passwords) dropped. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    u.search = '';
    return u.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

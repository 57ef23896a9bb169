import { existsSync } from 'node:fs';
import type { Config, Role } from '@rfm/shared';
import { isRfmError, RfmError } from '@rfm/shared/errors';
import type { Registry } from '@rfm/registry';
import { resolveActor } from '../actor.js';
import { runtime } from '../runtime.js';

/**
 * The registry (Kysely and its ~260 modules, better-sqlite3) loads when a command first opens one,
 * not when `rfm` starts: `rfm --help` and the start of `rfm train` (which reads the export first)
 * do not wait for it.
 */
export const registryModule = () => import('@rfm/registry');

/** Options every registry command shares; flags override env (loadConfig). */
export interface RegistryFlags {
  registry?: string;
  model?: string;
  actor?: string;
  json?: boolean;
}

export function configFrom(flags: RegistryFlags & Partial<Record<keyof Config, unknown>>): Config {
  return runtime().shared.loadConfig(process.env, {
    registry: flags.registry,
    modelName: flags.model,
    actor: flags.actor,
  });
}

/**
 * Open the registry read-write, run, always close (also on error). A read-write open is a write:
 * with RFM_USERS set, RFM_TOKEN must be an admin's before anything is opened (authorize).
 */
export async function withRegistry<T>(cfg: Config, fn: (reg: Registry) => T | Promise<T>): Promise<T> {
  if (!authorized.has(cfg)) authorize(cfg, 'admin');
  return run(cfg, async () => (await registryModule()).Registry.open(cfg.registry), fn);
}

/**
 * For commands that only read (list, show, history, compare, export, verify): a read-only
 * connection, so they work on a read-only mount and never migrate. A registry that does not exist
 * yet, or whose schema is older, is opened read-write once (created / migrated), as before.
 */
export async function withReadRegistry<T>(cfg: Config, fn: (reg: Registry) => T | Promise<T>): Promise<T> {
  return run(
    cfg,
    async () => {
      const { parseLocation, Registry } = await registryModule();
      const loc = parseLocation(cfg.registry);
      if (loc.kind === 'sqlite' && !existsSync(loc.file)) return Registry.open(cfg.registry);
      try {
        return await Registry.openReadOnly(cfg.registry);
      } catch (e) {
        if (isRfmError(e) && e.details?.schema === 'older') return Registry.open(cfg.registry);
        throw e;
      }
    },
    fn,
  );
}

async function run<T>(cfg: Config, open: () => Promise<Registry>, fn: (reg: Registry) => T | Promise<T>): Promise<T> {
  try {
    const reg = await open();
    try {
      return await fn(reg);
    } finally {
      await reg.close();
    }
  } catch (e) {
    throw await withLocation(e, cfg.registry);
  }
}

/**
 * The registry's messages never name where it is (a server may pass them to anyone); on the
 * command line the person running it may see it: "registry: disk full" → "registry data/r.db:
 * disk full". A PostgreSQL URL is shown without its password.
 */
export async function withLocation(e: unknown, location: string): Promise<unknown> {
  if (!isRfmError(e) || !['REGISTRY_ERROR', 'REGISTRY_UNAVAILABLE'].includes(e.code)) return e;
  if (!/^registry\b/.test(e.message)) return e;
  const { parseLocation, redactUrl } = await registryModule();
  const loc = parseLocation(location);
  const where = loc.kind === 'sqlite' ? loc.file : redactUrl(loc.url);
  return new RfmError(
    e.code,
    e.message.replace(/^registry( database)?:?/, (m) => `${m.replace(/:$/, '')} ${where}${m.endsWith(':') ? ':' : ''}`),
    {
      issues: e.issues,
      ...(e.details ? { details: e.details } : {}),
      cause: e,
    },
  );
}

const authorized = new WeakMap<Config, string>();

/**
 * Who is acting, checked for `need`. Without RFM_USERS: --actor, RFM_ACTOR or the OS user, as
 * always. With RFM_USERS: the person whose token is RFM_TOKEN, recorded as `cli:NAME`; no token or
 * an unknown one → UNAUTHORIZED, too low a role → FORBIDDEN naming the role (both exit 77), before
 * the registry is touched. A typed --actor naming someone else is refused, never recorded; RFM_ACTOR
 * is ignored then.
 */
export function authorize(cfg: Config, need: Role): string {
  if (!cfg.users) {
    const actor = resolveActor(cfg.actor);
    authorized.set(cfg, actor);
    return actor;
  }
  const action = need === 'admin' ? 'this command changes the registry' : 'saving a run';
  if (!cfg.token)
    throw new RfmError(
      'UNAUTHORIZED',
      `RFM_USERS is set: ${action} and needs RFM_TOKEN, the token of a person with the ${need} role`,
    );
  const person = new (runtime().shared.People)({ file: cfg.users }).byToken(cfg.token);
  if (!person)
    throw new RfmError(
      'UNAUTHORIZED',
      `RFM_TOKEN is not the token of anyone in the users file ${cfg.users}; ${action} and needs the token of a person with the ${need} role`,
    );
  if (!runtime().shared.roleAllows(person.role, need))
    throw new RfmError(
      'FORBIDDEN',
      `this needs the ${need} role; ${person.name} is a ${person.role}: nothing was changed`,
      {
        details: { need, role: person.role },
      },
    );
  // RFM_ACTOR from the environment (compose passes $USER) is simply not used; an --actor typed on
  // this command line that names someone else is refused rather than silently dropped
  const typed = cfg.actor !== undefined && cfg.actor !== process.env.RFM_ACTOR ? cfg.actor : undefined;
  if (typed !== undefined && typed !== person.name)
    throw new RfmError(
      'INVALID_INPUT',
      `--actor says "${typed}" but RFM_TOKEN is ${person.name}'s: with RFM_USERS the token decides who acts; leave --actor out`,
    );
  const actor = `cli:${person.name}`;
  authorized.set(cfg, actor);
  return actor;
}

/** The actor of a write: as `authorize` found them, or checked now for the admin role. */
export function actorOf(cfg: Config): string {
  return authorized.get(cfg) ?? authorize(cfg, 'admin');
}

/** A version number flag or argument (built on first use: zod is not loaded for `rfm --help`). */
export function versionArg() {
  const { z } = runtime();
  return z.coerce
    .number({ error: 'version must be a whole number' })
    .int({ error: 'version must be a whole number' })
    .positive({ error: 'version must be 1 or more' });
}

export function parseVersion(v: string, what = 'version'): number {
  return runtime().shared.parseOrThrow(versionArg(), v, what, what);
}

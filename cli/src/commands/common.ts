import { z } from 'zod';
import { loadConfig, parseOrThrow, type Config } from '@rfm/shared';
import { Registry } from '@rfm/registry';
import { resolveActor } from '../actor.js';

/** Options every registry command shares; flags override env (loadConfig). */
export interface RegistryFlags {
  registry?: string;
  model?: string;
  actor?: string;
  json?: boolean;
}

export function configFrom(flags: RegistryFlags & Partial<Record<keyof Config, unknown>>): Config {
  return loadConfig(process.env, { registry: flags.registry, modelName: flags.model, actor: flags.actor });
}

/** Open the registry, run, always close (also on error). */
export function withRegistry<T>(cfg: Config, fn: (reg: Registry) => T): T {
  const reg = Registry.open(cfg.registry);
  try {
    return fn(reg);
  } finally {
    reg.close();
  }
}

export function actorOf(cfg: Config): string {
  return resolveActor(cfg.actor);
}

export const VersionArg = z.coerce
  .number({ error: 'version must be a whole number' })
  .int({ error: 'version must be a whole number' })
  .positive({ error: 'version must be 1 or more' });

export function parseVersion(v: string, what = 'version'): number {
  return parseOrThrow(VersionArg, v, what, what);
}

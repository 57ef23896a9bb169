import { z } from 'zod';
import { ALIAS_PATTERN, parseOrThrow, VERSION_PATTERN } from '@rfm/shared';
import type { ModelSelector } from '../model-holder.js';

/** `?version=N` or `?alias=name` pins a request to a version other than the active one. */
export const SelectorSchema = z
  .strictObject(
    {
      version: z
        .string({ error: 'version must be given once, as a whole number' })
        .regex(VERSION_PATTERN, { error: 'version must be a whole number of 1 or more' })
        .transform(Number)
        .optional(),
      alias: z
        .string({ error: 'alias must be given once' })
        .regex(ALIAS_PATTERN, {
          error: 'alias must be a lowercase letter followed by up to 31 of a-z, 0-9, _ or -',
        })
        .optional(),
    },
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys'
          ? `unknown query parameter(s): ${iss.keys.join(', ')}; expected version or alias`
          : 'invalid query',
    },
  )
  .refine((q) => q.version === undefined || q.alias === undefined, {
    error: 'give either version or alias, not both',
    path: ['alias'],
  });

export function parseSelector(query: unknown): ModelSelector {
  const q = parseOrThrow(SelectorSchema, query ?? {}, 'query', 'query');
  return {
    ...(q.version !== undefined ? { version: q.version } : {}),
    ...(q.alias !== undefined ? { alias: q.alias } : {}),
  };
}

import { z } from 'zod';
import { parseOrThrow } from '@rfm/shared';
import { ImportFlagsSchema, IsoDay } from '@rfm/ingest';
import { KMEANS_DEFAULTS } from './kmeans/kmeans.js';

export { IsoDay };

/** k-means options as the pipeline takes them; the CLI parses its flags into this same schema. */
export const FitOptionsSchema = z.object({
  k: z.coerce
    .number({ error: 'k must be a number' })
    .int('k must be a whole number')
    .min(1, 'k must be at least 1')
    .max(50, 'k must be at most 50')
    .default(KMEANS_DEFAULTS.k),
  seed: z.coerce
    .number({ error: 'seed must be a number' })
    .int('seed must be a whole number')
    .min(0, 'seed must be ≥ 0')
    .max(4294967295, 'seed must fit in 32 bits')
    .default(KMEANS_DEFAULTS.seed),
  nInit: z.coerce
    .number({ error: 'n-init must be a number' })
    .int('n-init must be a whole number')
    .min(1, 'n-init must be at least 1')
    .max(1000, 'n-init must be at most 1000')
    .default(KMEANS_DEFAULTS.nInit),
  maxIter: z.coerce
    .number({ error: 'max-iter must be a number' })
    .int('max-iter must be a whole number')
    .min(1, 'max-iter must be at least 1')
    .max(100_000, 'max-iter must be at most 100000')
    .default(KMEANS_DEFAULTS.maxIter),
  tol: z.coerce
    .number({ error: 'tol must be a number' })
    .min(0, 'tol must be ≥ 0')
    .refine(Number.isFinite, 'tol must be finite')
    .default(KMEANS_DEFAULTS.tol),
  ...ImportFlagsSchema.shape,
});
export type FitOptions = z.output<typeof FitOptionsSchema>;

/** The options that say how to read the export (all but the column mapping), as the export reader takes them. */
export function exportReadOptions(fit: FitOptions) {
  const { dateFormat, asOf, frequency, encoding, decimal, sheet } = fit;
  return { dateFormat, asOf, frequency, encoding, decimal, sheet };
}

export function parseFitOptions(raw: Record<string, unknown>): FitOptions {
  return parseOrThrow(FitOptionsSchema, raw, 'training options');
}

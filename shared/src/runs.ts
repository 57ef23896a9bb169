import { z } from 'zod';
import { SegmentKeySchema } from './schemas.js';

/**
 * What a saved scoring run records besides its customers, as the registry stores it (JSON text)
 * and reads it back: the facts of the export that was scored, and one summary line per segment.
 * Here so the registry (which stores runs) and @rfm/runs (which makes them) share one schema.
 */
export const SegmentSummarySchema = z.object({
  /** display name of the segment in the version used (relabels applied) */
  segment: z.string().min(1),
  key: SegmentKeySchema,
  cluster: z.number().int().nonnegative(),
  customers: z.number().int().nonnegative(),
  customerShare: z.number().min(0).max(1),
  /** sum of the customers' monetary values */
  revenue: z.number(),
  revenueShare: z.number(),
  medianRecency: z.number().nullable(),
  medianFrequency: z.number().nullable(),
  medianMonetary: z.number().nullable(),
});
export type SegmentSummary = z.output<typeof SegmentSummarySchema>;

export const RunFactsSchema = z.object({
  exportName: z.string(),
  exportSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** the day recency is counted from (YYYY-MM-DD) */
  snapshotDate: z.string(),
  rowsRead: z.number().int().nonnegative(),
  rowsDropped: z.record(z.string(), z.number().int().nonnegative()),
  customers: z.number().int().nonnegative(),
  frequencyBasis: z.string(),
  modelName: z.string(),
  version: z.number().int().positive(),
  /**
   * Counts of the customer attributes the export carried (absent: it had none). Only counts: the
   * values themselves live in the customers blob.
   */
  attributes: z
    .object({
      /** which attributes the export had: email, name, consent */
      present: z.array(z.enum(['email', 'name', 'consent'])),
      /** customers with an e-mail address */
      withEmail: z.number().int().nonnegative(),
      /** consent counts; null when the export has no consent column */
      consent: z
        .object({
          yes: z.number().int().nonnegative(),
          no: z.number().int().nonnegative(),
          unknown: z.number().int().nonnegative(),
        })
        .nullable(),
    })
    .optional(),
});
export type RunFacts = z.output<typeof RunFactsSchema>;

/** `r-YYYYMMDD-` plus at least 6 hex digits: sortable by day, never a client-chosen file name */
export const RUN_ID_PATTERN = /^r-\d{8}-[0-9a-f]{6,16}$/;

/** One customer id as a person or a CRM gives it (lookup, erasure): printable, 1–256 characters. */
export const CustomerIdSchema = z
  .string()
  .min(1, { error: 'customer id: 1–256 characters' })
  .max(256, { error: 'customer id: 1–256 characters' })
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  .regex(/^[^\u0000-\u001f\u007f]+$/, { error: 'customer id: no control characters' });

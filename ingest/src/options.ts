import { z } from 'zod';
import { ENCODING_CHOICES, parseEncoding } from './encoding.js';

/** A real calendar day written YYYY-MM-DD (2011-02-30 is refused). */
export const IsoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD')
  .refine(
    (s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
    'is not a real calendar date',
  );

/**
 * How to read an export, as flags give it: the one schema `rfm train`, `rfm features` and `rfm score`
 * validate with, so the same bad value is refused with the same message by every command.
 */
export const ImportFlagsSchema = z.object({
  asOf: IsoDay.optional(),
  dateFormat: z
    .string()
    .min(1)
    .refine((s) => s.includes('%'), 'date format must be a strptime format such as %d/%m/%Y %H:%M')
    .optional(),
  /** what frequency counts (default: invoices when the export has an invoice column, else purchase days) */
  frequency: z.enum(['invoices', 'days', 'rows'], { error: 'frequency must be invoices, days or rows' }).optional(),
  /** text encoding of a CSV export (default: detected) */
  encoding: z
    .string()
    .refine(
      (s) => {
        try {
          parseEncoding(s);
          return true;
        } catch {
          return false;
        }
      },
      { error: `encoding must be one of ${ENCODING_CHOICES.join(', ')}` },
    )
    .optional(),
  /** decimal mark of number columns (default: detected) */
  decimal: z.enum([',', '.'], { error: 'decimal must be , (decimal comma) or . (decimal point)' }).optional(),
  /** .xlsx exports: the sheet to read (default: the first) */
  sheet: z.string().min(1, 'sheet must name a sheet').optional(),
});
export type ImportFlags = z.output<typeof ImportFlagsSchema>;

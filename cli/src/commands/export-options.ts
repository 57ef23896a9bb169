import type { Command } from 'commander';
import type { z } from 'zod';
import { RfmError, type Issue } from '@rfm/shared/errors';

/** The export-reading flags as commander hands them over (strings; validated by ingest's ImportFlagsSchema). */
export interface ExportFlags {
  asOf?: string;
  columns?: string;
  dateFormat?: string;
  frequency?: string;
  encoding?: string;
  decimal?: string;
  sheet?: string;
}

/** Flag names of the option fields, for messages that name what the person typed. */
export const EXPORT_FLAG_NAMES: Record<string, string> = {
  asOf: '--as-of',
  dateFormat: '--date-format',
  frequency: '--frequency',
  encoding: '--encoding',
  decimal: '--decimal',
  sheet: '--sheet',
};

/** A failed flag validation as INVALID_INPUT whose issues name the flag (`--n-init`), not the field. */
export function flagError(error: z.ZodError, raw: object, flagOf: Record<string, string>): RfmError {
  const issues: Issue[] = error.issues.map((i) => {
    const key = String(i.path[0] ?? '');
    const given = (raw as Record<string, unknown>)[key];
    return { path: flagOf[key] ?? key, message: i.message, ...(given !== undefined ? { found: String(given) } : {}) };
  });
  return new RfmError('INVALID_INPUT', `invalid option ${issues[0]!.path}: ${issues[0]!.message}`, { issues });
}

/**
 * The options that say how to read a transaction export, shared by `rfm train` and `rfm features`
 * so the two commands cannot drift apart in names or help text.
 */
export function addExportOptions(cmd: Command): Command {
  return cmd
    .option('--as-of <date>', 'snapshot date YYYY-MM-DD (default: the day after the last invoice)')
    .option('--columns <map>', 'column names: customer=…,invoice=…,date=…,quantity=…,price=… (or amount=…)')
    .option('--date-format <fmt>', 'strptime format of the date column, e.g. "%d/%m/%Y %H:%M" (default: detected)')
    .option(
      '--frequency <basis>',
      'what frequency counts: invoices, days (distinct purchase days) or rows' +
        ' (default: invoices, or days when the export has no invoice column)',
    )
    .option(
      '--encoding <name>',
      'text encoding of a CSV export: utf-8, utf-16, utf-16le, utf-16be, windows-1252, latin-1 (default: detected)',
    )
    .option('--decimal <mark>', 'decimal mark of amounts, prices and quantities: , or . (default: detected)')
    .option('--sheet <name>', '.xlsx exports: the sheet to read (default: the first)');
}

import type { Command } from 'commander';

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

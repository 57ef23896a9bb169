import { RfmError } from './errors.js';

/**
 * RFM of one customer from raw transaction lines, in plain TypeScript, with exactly the rules of
 * training's DuckDB import (ingest/src/export-reader.ts), so the server can score raw
 * transactions without DuckDB and without importing @rfm/training:
 *
 * - a line is dropped, under the first reason that applies, when its customer is blank
 *   (`missing_customer`), its invoice starts with "C" (`cancelled`), its quantity ≤ 0
 *   (`quantity_not_positive`), its unit price ≤ 0 (`price_not_positive`) — or, for exports with an
 *   amount column instead of quantity × price, its amount ≤ 0 (`amount_not_positive`);
 * - snapshot = `asOf`, else the day after the last kept invoice date;
 * - recency = whole days from the last kept invoice's calendar date to the snapshot;
 * - frequency = number of distinct invoices among the kept lines;
 * - monetary = Σ quantity × price, each line rounded to 1e-6 and summed exactly (DuckDB's
 *   DECIMAL(38, 6)), then turned into the nearest double.
 *
 * `tests/transactions-parity.test.ts` checks it against ingest's `readExport` on real and
 * hand-made exports. The HTTP request and response schemas around it are in transactions-api.ts.
 */

export const DROP_REASONS = [
  'missing_customer',
  'cancelled',
  'quantity_not_positive',
  'price_not_positive',
  'amount_not_positive',
] as const;
export type TransactionDropReason = (typeof DROP_REASONS)[number];

/** One transaction line, fields already named by role. Numbers must be finite. */
export interface TransactionLine {
  invoice: string;
  /** ISO `2011-12-09`, `2011-12-09 12:50[:00]`, `2011-12-09T12:50[:00]`, or UCI's month-first `12/9/2011 12:50` */
  date: string;
  quantity?: number | undefined;
  price?: number | undefined;
  /** instead of quantity × price */
  amount?: number | undefined;
  /** undefined: the request's customer; null or '': a line without a customer (dropped, as training does) */
  customer?: string | null | undefined;
}

export interface RfmFromTransactions {
  recency: number;
  frequency: number;
  monetary: number;
  snapshot_date: string;
  last_invoice_date: string;
  rows_read: number;
  rows_kept: number;
  rows_dropped: Partial<Record<TransactionDropReason, number>>;
}

const DAY_MS = 86_400_000;
// a UTC offset after the time is ignored: the calendar day written counts (as ingest reads exports)
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?)?$/;
const UCI = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;

function dayNumber(y: number, mo: number, d: number, h: number, mi: number, s: number): number | null {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null; // e.g. 2011-02-30
  return t / DAY_MS;
}

/** A timestamp as written (a UTC offset is ignored, not applied) → its calendar day as days since 1970-01-01, or null. */
export function invoiceDay(text: string): number | null {
  const s = text.trim();
  let m = ISO.exec(s);
  if (m) return dayNumber(+m[1]!, +m[2]!, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  m = UCI.exec(s);
  if (m) return dayNumber(+m[3]!, +m[1]!, +m[2]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  return null;
}

function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** `YYYY-MM-DD` → day number, or null. */
export function parseIsoDay(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  return m ? dayNumber(+m[1]!, +m[2]!, +m[3]!, 0, 0, 0) : null;
}

/** Micro-units (an exact sum of DECIMAL(38, 6) values) → the nearest double, as DuckDB's cast gives. */
function microToNumber(micro: bigint): number {
  const neg = micro < 0n;
  const a = neg ? -micro : micro;
  const text = `${a / 1_000_000n}.${(a % 1_000_000n).toString().padStart(6, '0')}`;
  return neg ? -Number(text) : Number(text); // decimal-string parsing is correctly rounded
}

/** One line's amount as DuckDB's CAST(x AS DECIMAL(38, 6)): the double scaled, rounded half away from zero. */
function toMicro(x: number): bigint {
  const scaled = x * 1e6;
  return BigInt(scaled < 0 ? -Math.round(-scaled) : Math.round(scaled));
}

/**
 * RFM of one customer's lines. Throws INVALID_INPUT when a date cannot be read, when a line has
 * neither quantity and price nor amount, when nothing is left after cleaning, or when `asOf` is
 * before the last invoice date (recency would be negative).
 */
export function rfmFromTransactions(rows: readonly TransactionLine[], asOf?: string): RfmFromTransactions {
  const useAmount = rows.length > 0 && rows.some((r) => r.quantity === undefined || r.price === undefined);
  const dropped: Partial<Record<TransactionDropReason, number>> = {};
  const drop = (reason: TransactionDropReason) => (dropped[reason] = (dropped[reason] ?? 0) + 1);
  const invoices = new Set<string>();
  let last = -Infinity;
  let micro = 0n;
  let kept = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const day = invoiceDay(r.date);
    if (day === null)
      throw new RfmError(
        'INVALID_INPUT',
        `transactions.${i}.date: cannot read the date "${r.date.slice(0, 40)}"; use 2011-12-09, 2011-12-09 12:50 or 12/9/2011 12:50`,
        {
          issues: [
            {
              path: `transactions.${i}.date`,
              message: 'unrecognised date',
              expected: 'YYYY-MM-DD[ HH:MM[:SS]] or M/D/YYYY H:MM',
              found: r.date.slice(0, 40),
            },
          ],
        },
      );
    if (r.customer === null || r.customer === '') {
      drop('missing_customer');
      continue;
    }
    const invoice = r.invoice.trim();
    if (invoice.startsWith('C')) {
      drop('cancelled');
      continue;
    }
    let amount: number;
    if (useAmount) {
      if (r.amount === undefined)
        throw new RfmError(
          'INVALID_INPUT',
          `transactions.${i}: give quantity and price on every line, or amount on every line`,
          { issues: [{ path: `transactions.${i}`, message: 'neither quantity and price nor amount' }] },
        );
      if (!(r.amount > 0)) {
        drop('amount_not_positive');
        continue;
      }
      amount = r.amount;
    } else {
      if (!(r.quantity! > 0)) {
        drop('quantity_not_positive');
        continue;
      }
      if (!(r.price! > 0)) {
        drop('price_not_positive');
        continue;
      }
      amount = r.quantity! * r.price!;
    }
    // DECIMAL(38, 6) holds less than 1e32: training's DuckDB cast fails on such a line, so must this
    if (!(amount < 1e32))
      throw new RfmError(
        'INVALID_INPUT',
        `transactions.${i}: the line's amount ${amount} is too large (at most 1e32)`,
        {
          issues: [
            { path: `transactions.${i}`, message: 'amount too large', expected: 'below 1e32', found: String(amount) },
          ],
        },
      );
    kept++;
    invoices.add(invoice);
    if (day > last) last = day;
    micro += toMicro(amount);
  }
  if (kept === 0) {
    const why = Object.entries(dropped)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    throw new RfmError(
      'INVALID_INPUT',
      `no usable transactions: all ${rows.length} were dropped${why ? ` (${why})` : ''}`,
      { details: { rows_read: rows.length, rows_dropped: dropped } },
    );
  }
  let snapshot = last + 1;
  if (asOf !== undefined) {
    const d = parseIsoDay(asOf);
    if (d === null)
      throw new RfmError('INVALID_INPUT', `as_of must be a date YYYY-MM-DD, got "${asOf.slice(0, 40)}"`, {
        issues: [{ path: 'as_of', message: 'not a date', expected: 'YYYY-MM-DD', found: asOf.slice(0, 40) }],
      });
    if (d < last)
      throw new RfmError(
        'INVALID_INPUT',
        `as_of ${asOf} is before the last invoice date ${isoDay(last)}; recency would be negative. Use ${isoDay(last)} or later`,
        {
          issues: [
            { path: 'as_of', message: 'before the last invoice', expected: `${isoDay(last)} or later`, found: asOf },
          ],
        },
      );
    snapshot = d;
  }
  return {
    recency: snapshot - last,
    frequency: invoices.size,
    monetary: microToNumber(micro),
    snapshot_date: isoDay(snapshot),
    last_invoice_date: isoDay(last),
    rows_read: rows.length,
    rows_kept: kept,
    rows_dropped: dropped,
  };
}

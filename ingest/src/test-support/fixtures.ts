import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { withDuck } from '../duck.js';
import { sqlString } from '../sql.js';

/**
 * A hand-written UCI-style export whose RFM answer is worked out by hand (see EXPECTED). Each row
 * exercises one rule; the comment says which.
 */
export const UCI_HEADER = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';
export const UCI_ROWS: string[][] = [
  ['536365', 'A', 'LANTERN', '2', '12/1/2010 8:26', '2.50', '17850', 'United Kingdom'], // 5.00
  ['536365', 'B', 'MUG', '1', '12/1/2010 8:26', '3.00', '17850', 'United Kingdom'], // 3.00, same invoice
  ['536366', 'A', 'LANTERN', '4', '12/1/2010 9:00', '1.25', '17850', 'United Kingdom'], // 5.00, 2nd invoice, same day
  ['C536367', 'A', 'LANTERN', '-2', '12/2/2010 10:00', '2.50', '17850', 'United Kingdom'], // cancelled
  ['536368', 'A', 'LANTERN', '-1', '12/3/2010 11:00', '2.50', '17850', 'United Kingdom'], // return without C: quantity_not_positive
  ['536369', 'B', 'MUG', '3', '12/5/2010 14:00', '2.00', '13047', 'France'], // 6.00
  ['536370', 'B', 'MUG', '5', '12/5/2010 14:00', '0', '13047', 'France'], // price_not_positive
  ['536371', 'A', 'LANTERN', '1', '12/6/2010 7:00', '10.00', '', 'United Kingdom'], // missing_customer
  ['536372', 'C', '"CANDLE, RED"', '2', '12/13/2010 15:30', '4.00', '12346', 'United Kingdom'], // 8.00, latest invoice
  ['536373', 'A', 'LANTERN', '1', '12/7/2010 23:59', '1.00', '13047', 'France'], // 1.00, late in the day
  ['C536374', 'A', 'LANTERN', '1', '12/8/2010 8:00', '1.00', '', 'United Kingdom'], // missing_customer before cancelled
  ['536375', 'A', 'LANTERN', 'abc', '12/8/2010 8:00', '1.00', '12346', 'United Kingdom'], // unparsable_quantity
  ['536376', 'A', 'LANTERN', '1', 'not a date', '1.00', '12346', 'United Kingdom'], // unparsable_date
  ['536377', 'A', 'LANTERN', '1', '12/8/2010 8:00', 'x', '12346', 'United Kingdom'], // unparsable_price
];

/**
 * Snapshot = 2010-12-14, the day after the latest invoice date (12/13 15:30).
 * 12346: one invoice on 12/13 → R 1 (not 0: the time is dropped), F 1, M 2 × 4.00 = 8.
 * 13047: invoices 536369 (12/5) and 536373 (12/7 23:59) → R 7, F 2, M 6 + 1 = 7.
 * 17850: invoices 536365 and 536366, both 12/1 → R 13, F 2, M 5 + 3 + 5 = 13.
 */
export const EXPECTED = {
  rows_read: 14,
  rows_kept: 6,
  rows_dropped: {
    missing_customer: 2,
    cancelled: 1,
    missing_invoice: 0,
    unparsable_date: 1,
    unparsable_quantity: 1,
    quantity_not_positive: 1,
    unparsable_price: 1,
    price_not_positive: 1,
  },
  customers: 3,
  first_invoice: '2010-12-01T08:26:00',
  last_invoice: '2010-12-13T15:30:00',
  snapshot_date: '2010-12-14',
  cids: ['12346', '13047', '17850'],
  raw: [1, 1, 8, 7, 2, 7, 13, 2, 13],
};

export function csv(header: string, rows: string[][]): string {
  return `${header}\n${rows.map((r) => r.join(',')).join('\n')}\n`;
}

/** '12/13/2010 15:30' → '2010-12-13 15:30:00' (Online Retail II style); other text unchanged. */
export function isoDate(uci: string): string {
  const m = /^(\d+)\/(\d+)\/(\d{4}) (\d+):(\d{2})$/.exec(uci);
  if (!m) return uci;
  const p = (s: string) => s.padStart(2, '0');
  return `${m[3]}-${p(m[1]!)}-${p(m[2]!)} ${p(m[4]!)}:${m[5]}:00`;
}

/** Same rows written day/month/year. */
export function dmyDate(uci: string): string {
  const m = /^(\d+)\/(\d+)\/(\d{4}) (.*)$/.exec(uci);
  return m ? `${m[2]}/${m[1]}/${m[3]} ${m[4]}` : uci;
}

export function writeUci(dir: string, name = 'export.csv', rows = UCI_ROWS): string {
  const path = join(dir, name);
  const text = csv(UCI_HEADER, rows);
  writeFileSync(path, name.endsWith('.gz') ? gzipSync(text) : text);
  return path;
}

/** Parquet as the real UCI copy types it: BIGINT quantity, DOUBLE price and customer id, text dates. */
export async function writeParquet(dir: string, csvPath: string, name: string, timestamps = false): Promise<string> {
  const out = join(dir, name);
  await withDuck(async (conn) => {
    const date = timestamps
      ? `try_strptime(InvoiceDate, '%m/%d/%Y %H:%M')`
      : `strftime(try_strptime(InvoiceDate, '%m/%d/%Y %H:%M'), '%Y-%m-%d %H:%M:%S')`;
    await conn.run(`COPY (SELECT InvoiceNo, StockCode, Description, TRY_CAST(Quantity AS BIGINT) AS Quantity, ${date} AS InvoiceDate,
        TRY_CAST(UnitPrice AS DOUBLE) AS UnitPrice, TRY_CAST(CustomerID AS DOUBLE) AS CustomerID, Country
      FROM read_csv(${sqlString(csvPath)}, header = true, all_varchar = true)) TO ${sqlString(out)} (FORMAT parquet)`);
  });
  return out;
}
export * from './shapes.js';
export * from './people.js';

import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { extent, mulberry32 } from '@rfm/shared';

const require = createRequire(import.meta.url);

/**
 * Generated exports of one made-up shop in the shapes real shops hand over (never a real shop's
 * data): the same orders written as a UCI-style CSV, an order export without invoice ids, with
 * mixed line ends, in Windows-1252 and UTF-16, European-style (`;`, decimal commas, currency signs,
 * day-first dotted dates), with UTC offsets, as Shopify and WooCommerce order exports (plus orders
 * that must not count: refunded, cancelled, failed) and as an .xlsx workbook. `expectedRfm` is the
 * answer worked out here in plain TypeScript, independently of the reader.
 */
export interface OrderLine {
  customer: string;
  /** customer's e-mail (Shopify / WooCommerce identify customers by it) */
  email: string;
  order: string;
  /** shop-local wall-clock time */
  at: { y: number; mo: number; d: number; h: number; mi: number };
  qty: number;
  /** in cents, so sums are exact */
  priceCents: number;
  description: string;
}

const NAMES = ['Crème brûlée mould', 'Café set £', 'Naïve print', 'Bøtte', 'Jalapeño jar', 'Déco lamp €'];

/** 14 customers, 1–5 orders each over Nov–Dec 2011, 1–3 lines per order; days up to 28 so dates are unambiguous. */
export function shopOrders(seed = 7): OrderLine[] {
  const rand = mulberry32(seed);
  const out: OrderLine[] = [];
  let order = 1001;
  for (let c = 0; c < 14; c++) {
    const customer = String(12_000 + c * 7);
    const orders = 1 + Math.floor(rand() * 5);
    for (let o = 0; o < orders; o++) {
      const mo = rand() < 0.5 ? 11 : 12;
      const at = {
        y: 2011,
        mo,
        d: 1 + Math.floor(rand() * (mo === 12 ? 9 : 28)),
        h: 8 + Math.floor(rand() * 12),
        mi: Math.floor(rand() * 60),
      };
      const lines = 1 + Math.floor(rand() * 3);
      for (let l = 0; l < lines; l++)
        out.push({
          customer,
          email: `customer${c}@example.com`,
          order: String(order),
          at,
          qty: 1 + Math.floor(rand() * 12),
          priceCents: 50 + Math.floor(rand() * 2_000),
          description: NAMES[(c + o + l) % NAMES.length]!,
        });
      order++;
    }
  }
  return out;
}

const p2 = (n: number) => String(n).padStart(2, '0');
const dayNum = (a: OrderLine['at']) => Date.UTC(a.y, a.mo - 1, a.d) / 86_400_000;

export interface ExpectedRfm {
  cids: string[];
  recency: number[];
  frequency: number[];
  monetary: number[];
  snapshot: string;
}

/** RFM per customer, snapshot = the day after the last order; frequency by invoices or distinct days. */
export function expectedRfm(
  lines: OrderLine[],
  by: 'invoices' | 'days',
  key: 'customer' | 'email' = 'customer',
): ExpectedRfm {
  const last = extent(lines.map((l) => dayNum(l.at))).max; // not Math.max(...): 100k+ lines overflow the stack
  const snapshotDay = last + 1;
  const per = new Map<string, { last: number; orders: Set<string>; days: Set<number>; cents: number }>();
  for (const l of lines) {
    const id = l[key];
    const e = per.get(id) ?? { last: 0, orders: new Set<string>(), days: new Set<number>(), cents: 0 };
    e.last = Math.max(e.last, dayNum(l.at));
    e.orders.add(l.order);
    e.days.add(dayNum(l.at));
    e.cents += l.qty * l.priceCents;
    per.set(id, e);
  }
  const cids = [...per.keys()].sort();
  return {
    cids,
    recency: cids.map((c) => snapshotDay - per.get(c)!.last),
    frequency: cids.map((c) => (by === 'invoices' ? per.get(c)!.orders.size : per.get(c)!.days.size)),
    monetary: cids.map((c) => per.get(c)!.cents / 100),
    snapshot: new Date(snapshotDay * 86_400_000).toISOString().slice(0, 10),
  };
}

const money = (cents: number, decimal = '.') => `${Math.floor(cents / 100)}${decimal}${p2(cents % 100)}`;
const uciDate = (a: OrderLine['at']) => `${a.mo}/${a.d}/${a.y} ${a.h}:${p2(a.mi)}`;
const isoDate = (a: OrderLine['at']) => `${a.y}-${p2(a.mo)}-${p2(a.d)} ${p2(a.h)}:${p2(a.mi)}:00`;
const csvField = (s: string, d = ',') => (s.includes(d) || s.includes('"') ? `"${s.replaceAll('"', '""')}"` : s);

function uciText(lines: OrderLine[], eol = '\n', headerEol = eol): string {
  const head = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';
  const rows = lines.map((l, i) =>
    [
      l.order,
      `S${i % 50}`,
      csvField(l.description),
      l.qty,
      uciDate(l.at),
      money(l.priceCents),
      l.customer,
      'France',
    ].join(','),
  );
  return `${head}${headerEol}${rows.join(eol)}${eol}`;
}

/** Orders (one row each): customer, date, order total. */
function orderTotals(
  lines: OrderLine[],
): { customer: string; email: string; order: string; at: OrderLine['at']; cents: number }[] {
  const m = new Map<string, { customer: string; email: string; order: string; at: OrderLine['at']; cents: number }>();
  for (const l of lines) {
    const e = m.get(l.order) ?? { customer: l.customer, email: l.email, order: l.order, at: l.at, cents: 0 };
    e.cents += l.qty * l.priceCents;
    m.set(l.order, e);
  }
  return [...m.values()];
}

/** Windows-1252 bytes of text whose characters all exist there (€ → 0x80). */
export function toWindows1252(text: string): Buffer {
  const out = Buffer.alloc(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[i] = c === 0x20ac ? 0x80 : c < 256 ? c : 0x3f;
  }
  return out;
}

export const SHAPES = [
  'uci',
  'no-invoice',
  'mixed-newlines',
  'utf8-bom',
  'windows-1252',
  'utf16',
  'european',
  'utc-offsets',
  'shopify',
  'woocommerce',
  'xlsx',
] as const;
export type Shape = (typeof SHAPES)[number];

export interface WrittenShape {
  file: string;
  /** what the reader must give */
  expected: ExpectedRfm;
  /** extra flags the shape needs (none but xlsx's --sheet) */
  flags: string[];
}

/** Write one shape of `lines` in `dir`. */
export async function writeShape(dir: string, shape: Shape, lines: OrderLine[] = shopOrders()): Promise<WrittenShape> {
  const byInvoice = expectedRfm(lines, 'invoices');
  switch (shape) {
    case 'uci':
      return { file: write(dir, 'uci.csv', uciText(lines)), expected: byInvoice, flags: [] };
    case 'no-invoice': {
      const rows = orderTotals(lines).map((o) => `${o.customer},${isoDate(o.at)},${money(o.cents)}`);
      return {
        file: write(dir, 'orders-no-invoice.csv', `Customer,Date,Amount\n${rows.join('\n')}\n`),
        expected: expectedRfm(lines, 'days'),
        flags: [],
      };
    }
    case 'mixed-newlines':
      // a header saved by one editor (\n), the rows by another (\r\n)
      return { file: write(dir, 'mixed-newlines.csv', uciText(lines, '\r\n', '\n')), expected: byInvoice, flags: [] };
    case 'utf8-bom':
      return { file: write(dir, 'bom.csv', `\uFEFF${uciText(lines)}`), expected: byInvoice, flags: [] };
    case 'windows-1252':
      return {
        file: write(dir, 'windows-1252.csv', toWindows1252(uciText(lines, '\r\n'))),
        expected: byInvoice,
        flags: [],
      };
    case 'utf16': {
      // Excel's "Unicode text": UTF-16LE with a BOM, tab-separated
      const text = uciText(lines, '\r\n')
        .replaceAll(',', '\t')
        .replace(/"([^"\t]*)"/g, '$1');
      return {
        file: write(dir, 'unicode.txt', Buffer.from(`\uFEFF${text}`, 'utf16le')),
        expected: byInvoice,
        flags: [],
      };
    }
    case 'european': {
      // ; between fields, decimal commas, € signs and thousands points, day-first dotted dates, Windows-1252
      const head = 'Rechnung;Artikel;Beschreibung;Menge;Datum;Einzelpreis;Kunde;Land';
      const rows = lines.map((l, i) => {
        const a = l.at;
        const cents = l.priceCents * (i % 5 === 0 ? 100 : 1); // some prices above 1.000,00
        const price =
          cents >= 100_000
            ? `€ ${Math.floor(cents / 100_000)}.${String(Math.floor(cents / 100) % 1000).padStart(3, '0')},${p2(cents % 100)}`
            : `${money(cents, ',')} €`;
        return [
          l.order,
          `S${i}`,
          l.description,
          l.qty,
          `${p2(a.d)}.${p2(a.mo)}.${a.y} ${p2(a.h)}:${p2(a.mi)}`,
          price,
          l.customer,
          'Deutschland',
        ].join(';');
      });
      const scaled = lines.map((l, i) => ({ ...l, priceCents: l.priceCents * (i % 5 === 0 ? 100 : 1) }));
      return {
        file: write(dir, 'european.csv', toWindows1252(`${head}\r\n${rows.join('\r\n')}\r\n`)),
        expected: expectedRfm(scaled, 'invoices'),
        flags: ['--columns', 'customer=Kunde,invoice=Rechnung,date=Datum,quantity=Menge,price=Einzelpreis'],
      };
    }
    case 'utc-offsets': {
      // late-evening orders west of UTC: in UTC they fall on the next day, the written day counts
      const head = 'InvoiceNo,Quantity,InvoiceDate,UnitPrice,CustomerID';
      const rows = lines.map((l, i) => {
        const a = l.at;
        const off = ['+0000', '-05:00', '+01:00', 'Z'][i % 4];
        return `${l.order},${l.qty},${a.y}-${p2(a.mo)}-${p2(a.d)}T${p2(a.h + 4 > 23 ? 23 : a.h + 4)}:${p2(a.mi)}:00${off},${money(l.priceCents)},${l.customer}`;
      });
      return { file: write(dir, 'offsets.csv', `${head}\n${rows.join('\n')}\n`), expected: byInvoice, flags: [] };
    }
    case 'shopify':
      return {
        file: write(dir, 'orders_export_1.csv', shopifyText(lines)),
        expected: expectedRfm(lines, 'invoices', 'email'),
        flags: [],
      };
    case 'woocommerce':
      return {
        file: write(dir, 'woocommerce-orders.csv', wooText(lines)),
        expected: expectedRfm(lines, 'invoices', 'email'),
        flags: [],
      };
    case 'xlsx':
      return {
        file: await writeXlsx(join(dir, 'export.xlsx'), lines),
        expected: byInvoice,
        flags: ['--sheet', 'Transactions'],
      };
  }
}

function write(dir: string, name: string, body: string | Buffer): string {
  const f = join(dir, name);
  writeFileSync(f, body);
  return f;
}

const SHOPIFY_HEAD =
  'Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,Lineitem sku,Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,Billing Name,Cancelled at,Refunded Amount,Id';

/**
 * Shopify's orders export: one row per line item; order-level fields (status, totals, dates) on
 * the first row of each order only, as Shopify writes them. Two extra orders must not count: one
 * refunded, one cancelled.
 */
function shopifyText(lines: OrderLine[]): string {
  const rows: string[] = [];
  const byOrder = new Map<string, OrderLine[]>();
  for (const l of lines) byOrder.set(l.order, [...(byOrder.get(l.order) ?? []), l]);
  const extra = (order: string, status: string, cancelled: string, refunded: string, email: string) =>
    [
      `#${order}`,
      email,
      status,
      '',
      '',
      '',
      'no',
      'EUR',
      '50.00',
      '0.00',
      '0.00',
      '50.00',
      '',
      '0.00',
      '',
      '2011-12-09 20:00:00 +0000',
      '5',
      'Extra',
      '10.00',
      '',
      'X1',
      'true',
      'true',
      'pending',
      'X',
      cancelled,
      refunded,
      '9',
    ].join(',');
  for (const [order, ls] of byOrder) {
    const a = ls[0]!.at;
    const created = `${a.y}-${p2(a.mo)}-${p2(a.d)} ${p2(a.h)}:${p2(a.mi)}:00 ${order.endsWith('1') ? '-0500' : '+0000'}`;
    const total = ls.reduce((s, l) => s + l.qty * l.priceCents, 0);
    ls.forEach((l, i) => {
      const first = i === 0;
      rows.push(
        [
          `#${order}`,
          l.email,
          first ? (order.endsWith('3') ? 'partially_refunded' : 'paid') : '',
          first ? created : '',
          first ? 'fulfilled' : '',
          '',
          first ? 'yes' : '',
          first ? 'EUR' : '',
          first ? money(total) : '',
          first ? '4.90' : '',
          first ? '0.00' : '',
          first ? money(total + 490) : '',
          '',
          first ? '0.00' : '',
          first ? 'Standard' : '',
          first ? created : '',
          String(l.qty),
          csvField(l.description),
          money(l.priceCents),
          '',
          `SKU${i}`,
          'true',
          'true',
          'fulfilled',
          first ? 'Jane Doe' : '',
          '',
          first ? '0.00' : '',
          first ? order : '',
        ].join(','),
      );
    });
  }
  rows.push(extra('9001', 'refunded', '', '50.00', 'customer0@example.com'));
  rows.push(extra('9002', 'paid', '2011-12-09 21:00:00 +0000', '0.00', 'customer1@example.com'));
  return `${SHOPIFY_HEAD}\n${rows.join('\n')}\n`;
}

/**
 * WooCommerce order export (the order-export plugins' default CSV): one row per order; three more
 * orders whose status means they must not count.
 */
function wooText(lines: OrderLine[]): string {
  const head =
    'order_id,order_number,order_date,status,shipping_total,order_total,order_currency,customer_id,customer_email,billing_first_name,billing_email';
  const rows = orderTotals(lines).map((o, i) =>
    [
      5000 + i,
      o.order,
      isoDate(o.at),
      i % 2 ? 'wc-completed' : 'processing',
      '4.90',
      money(o.cents),
      'EUR',
      70 + i,
      o.email,
      'Jane',
      o.email,
    ].join(','),
  );
  rows.push(
    [
      '6001',
      '9001',
      '2011-12-09 10:00:00',
      'cancelled',
      '0',
      '80.00',
      'EUR',
      '1',
      'customer0@example.com',
      'A',
      'customer0@example.com',
    ].join(','),
  );
  rows.push(
    [
      '6002',
      '9002',
      '2011-12-09 11:00:00',
      'wc-refunded',
      '0',
      '80.00',
      'EUR',
      '1',
      'customer2@example.com',
      'A',
      'customer2@example.com',
    ].join(','),
  );
  rows.push(
    [
      '6003',
      '9003',
      '2011-12-09 12:00:00',
      'failed',
      '0',
      '80.00',
      'EUR',
      '1',
      'customer3@example.com',
      'A',
      'customer3@example.com',
    ].join(','),
  );
  return `${head}\n${rows.join('\n')}\n`;
}

interface ExcelWriter {
  stream: {
    xlsx: {
      WorkbookWriter: new (o: {
        filename: string;
        useStyles?: boolean;
        useSharedStrings?: boolean;
      }) => {
        addWorksheet(name: string): { addRow(v: unknown[]): { commit(): void }; commit(): void };
        commit(): Promise<void>;
      };
    };
  };
}

/** An .xlsx workbook: a notes sheet first, the transactions (real date and number cells) on "Transactions". */
export async function writeXlsx(
  file: string,
  lines: OrderLine[],
  rows = lines.length,
  sheet = 'Transactions',
): Promise<string> {
  const ExcelJS = require('exceljs') as ExcelWriter;
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useStyles: true, useSharedStrings: true });
  const notes = wb.addWorksheet('Notes');
  notes.addRow(['exported for rfm tests']).commit();
  notes.commit();
  const ws = wb.addWorksheet(sheet);
  ws.addRow(['InvoiceNo', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID']).commit();
  for (let i = 0; i < rows; i++) {
    const l = lines[i % lines.length]!;
    const a = l.at;
    ws.addRow([
      i < lines.length ? Number(l.order) : Number(l.order) + 100_000 * Math.floor(i / lines.length),
      l.description,
      l.qty,
      new Date(Date.UTC(a.y, a.mo - 1, a.d, a.h, a.mi)),
      l.priceCents / 100,
      Number(l.customer),
    ]).commit();
  }
  ws.commit();
  await wb.commit();
  return file;
}

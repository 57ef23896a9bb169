import { z } from 'zod';
import { columnIndex, EXPORT_COLUMN_NAMES, normalizeColumnName, type ExportRole } from './columns.js';
import { NUMERIC_STRING } from './patterns.js';
import { OUTLIER_FIELD } from './schemas.js';
import { DROP_REASONS, invoiceDay, parseIsoDay } from './transactions.js';

/**
 * The HTTP side of raw-transaction scoring, POST /api/v1/predict/transactions: the request and
 * response schemas. The RFM rules they feed are in transactions.ts.
 */

export const MAX_TRANSACTIONS = 20_000;

/** The export column names training recognises (shared/src/columns.ts) → roles. */
const ROW_NAMES = columnIndex(EXPORT_COLUMN_NAMES);

/** The names the docs show for each role. */
export const TRANSACTION_FIELD_NAMES: Record<ExportRole, readonly string[]> = {
  invoice: ['invoice', 'InvoiceNo', 'Invoice'],
  date: ['date', 'InvoiceDate'],
  quantity: ['quantity', 'Quantity'],
  price: ['price', 'UnitPrice', 'Price'],
  amount: ['amount', 'Amount'],
  customer: ['cid', 'CustomerID', 'Customer ID'],
};

/** Known names → roles; other columns of an export row (StockCode, Description, Country) are ignored. */
function mapRow(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    const role = ROW_NAMES.get(normalizeColumnName(k));
    if (role && !(role in out)) out[role] = val;
  }
  return out;
}

function lineNumber(field: string) {
  return z
    .union([z.number(), z.string().trim()], { error: `${field} must be a number` })
    .transform((v, ctx) => {
      const n = typeof v === 'string' && NUMERIC_STRING.test(v) ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isFinite(n)) {
        ctx.addIssue({
          code: 'custom',
          message: `${field} must be a finite number, got ${JSON.stringify(v).slice(0, 40)}`,
        });
        return z.NEVER;
      }
      return n;
    })
    .optional();
}

/** Customer ids as training reads them: trimmed text, "12346.0" → "12346"; blank → null. */
const customerId = z
  .union([z.string(), z.number(), z.null()], { error: 'customer id must be a string or a number' })
  .transform((v) =>
    v === null
      ? null
      : String(v)
          .trim()
          .replace(/^([0-9]+)\.0*$/, '$1') || null,
  )
  .optional();

export const TransactionRowSchema = z
  .preprocess(
    mapRow,
    z.object(
      {
        invoice: z
          .union([z.string().trim().min(1, { error: 'invoice must not be empty' }), z.number()], {
            error: 'invoice (InvoiceNo) is required: a string or a number',
          })
          .transform(String),
        date: z
          .string({ error: 'date (InvoiceDate) is required: e.g. 2011-12-09 12:50 or 12/9/2011 12:50' })
          .refine((s) => invoiceDay(s) !== null, {
            error: 'date must look like 2011-12-09, 2011-12-09 12:50 or 12/9/2011 12:50 (month first)',
          }),
        quantity: lineNumber('quantity'),
        price: lineNumber('price'),
        amount: lineNumber('amount'),
        customer: customerId,
      },
      { error: 'each transaction must be an object' },
    ),
  )
  .refine((r) => (r.quantity !== undefined && r.price !== undefined) || r.amount !== undefined, {
    error: 'give quantity and price (Quantity, UnitPrice), or amount',
  })
  .meta({
    id: 'TransactionLine',
    description:
      'One line of the export. Recognised names: invoice | InvoiceNo | Invoice, date | InvoiceDate,' +
      ' quantity | Quantity, price | UnitPrice | Price, amount | Amount (instead of quantity × price),' +
      ' cid | CustomerID | Customer ID; other columns (StockCode, Description, Country) are ignored.',
  });

export const TransactionsRequestSchema = z
  .strictObject(
    {
      cid: z
        .union(
          [z.string().trim().max(64, { error: 'cid must be at most 64 characters' }), z.number().int().nonnegative()],
          { error: 'cid must be a string or a whole number' },
        )
        .transform((v) => String(v).replace(/^([0-9]+)\.0*$/, '$1') || null)
        .optional()
        .meta({ description: 'the customer (optional when the lines carry CustomerID)' }),
      as_of: z
        .string({ error: 'as_of must be a date YYYY-MM-DD' })
        .refine((s) => parseIsoDay(s) !== null, { error: 'as_of must be a date YYYY-MM-DD' })
        .optional()
        .meta({
          description: 'snapshot date for recency (default: the day after the last invoice), as training’s --as-of',
        }),
      transactions: z
        .array(TransactionRowSchema, { error: 'transactions must be an array of transaction lines' })
        .min(1, { error: 'transactions must hold at least one line' })
        .max(MAX_TRANSACTIONS, { error: `transactions may hold at most ${MAX_TRANSACTIONS} lines` }),
    },
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys'
          ? `unknown field(s): ${iss.keys.join(', ')}; expected cid, as_of, transactions`
          : 'expected an object {cid?, as_of?, transactions: [...]}',
    },
  )
  .superRefine((b, ctx) => {
    const ids = new Set<string>();
    if (b.cid) ids.add(b.cid);
    for (const t of b.transactions) if (t.customer) ids.add(t.customer);
    if (ids.size > 1)
      ctx.addIssue({
        code: 'custom',
        path: ['transactions'],
        message: `lines belong to more than one customer (${[...ids].slice(0, 5).join(', ')}); send one customer per request`,
      });
  })
  .meta({
    id: 'TransactionsRequest',
    description: "One customer's raw transaction lines and an optional snapshot date",
  });
export type TransactionsRequest = z.output<typeof TransactionsRequestSchema>;

/** The customer a parsed request is about: its cid, else the one the lines carry, else null. */
export function transactionsCustomer(b: TransactionsRequest): string | null {
  if (b.cid) return b.cid;
  for (const t of b.transactions) if (t.customer) return t.customer;
  return null;
}

/** The answer of POST /api/v1/predict/transactions: the customer's RFM, as training computes it, and their segment. */
export const TransactionsResponseSchema = z
  .object({
    model_name: z.string(),
    model_version: z.number().int(),
    cid: z.string().nullable(),
    cluster: z.number().int(),
    segment: z.string(),
    outlier: OUTLIER_FIELD,
    recency: z.number().int().nonnegative().meta({ description: 'days from the last invoice date to snapshot_date' }),
    frequency: z.number().int().positive().meta({ description: 'distinct invoices kept' }),
    monetary: z.number().positive().meta({ description: 'Σ quantity × price of the kept lines' }),
    snapshot_date: z.string().meta({ description: 'as_of, else the day after the last invoice date' }),
    last_invoice_date: z.string(),
    rows_read: z.number().int().nonnegative(),
    rows_kept: z.number().int().nonnegative(),
    rows_dropped: z
      .partialRecord(z.enum(DROP_REASONS), z.number().int().nonnegative())
      .meta({ description: 'lines dropped by the cleaning rules, by reason (only reasons that occurred)' }),
  })
  .meta({ id: 'TransactionsResponse' });
export type TransactionsResponse = z.output<typeof TransactionsResponseSchema>;

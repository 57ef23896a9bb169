import { normalizeColumnName } from '@rfm/shared';
import type { ColumnMapping } from './columns.js';
import type { ColumnInfo } from './source.js';
import { sqlIdent, trimSql } from './sql.js';

/**
 * Shop-platform order exports, recognised by their header so that no `--columns` is needed. Each
 * names the columns for the roles, and how to tell orders that must not count (cancelled,
 * refunded). Order-level fields may be written on an order's first row only (Shopify does this for
 * its status and totals), so they are spread over every row of the order before the rows are read.
 */
export interface Layout {
  id: 'shopify' | 'woocommerce';
  /** said in the summary and the report */
  description: string;
  mapping: ColumnMapping;
  /** column whose value is the same on every row of one order */
  orderKey: string;
  /** SQL over one row (raw text columns): true when the order is cancelled or refunded */
  excluded: string;
  /** roles whose value is taken from the order's non-blank one when a row leaves it blank */
  orderLevel: ('customer' | 'date')[];
}

const has = (cols: ColumnInfo[], name: string) =>
  cols.find((c) => normalizeColumnName(c.name) === normalizeColumnName(name))?.name;

const blankToNull = (col: string) => `NULLIF(${trimSql(`CAST(${sqlIdent(col)} AS VARCHAR)`)}, '')`;

/**
 * Shopify's orders export (Admin → Orders → Export): one row per line item, the order `Name`
 * (`#1001`) repeated, the customer by `Email`, `Created at` like `2011-12-09 12:50:00 +0000`,
 * `Lineitem quantity` × `Lineitem price` per row; `Financial Status`, `Cancelled at` and the order
 * totals on the order's first row. Monetary is the value of the line items (no shipping, taxes or
 * order-level discounts, as with UCI exports). Orders whose financial status is `refunded` or
 * `voided`, or that have a `Cancelled at`, are dropped as `cancelled`.
 */
function shopify(cols: ColumnInfo[]): Layout | undefined {
  const name = has(cols, 'Name');
  const email = has(cols, 'Email');
  const created = has(cols, 'Created at');
  const qty = has(cols, 'Lineitem quantity');
  const price = has(cols, 'Lineitem price');
  const status = has(cols, 'Financial Status');
  if (!name || !email || !created || !qty || !price || !status) return undefined;
  const cancelled = has(cols, 'Cancelled at');
  const excluded = [
    `lower(coalesce(${blankToNull(status)}, '')) IN ('refunded', 'voided')`,
    ...(cancelled ? [`${blankToNull(cancelled)} IS NOT NULL`] : []),
  ].join(' OR ');
  return {
    id: 'shopify',
    description:
      'Shopify orders export: customer = Email, order = Name, date = Created at (the shop’s local day), ' +
      'monetary = Lineitem quantity × Lineitem price; refunded, voided and cancelled orders dropped',
    mapping: { customer: email, invoice: name, date: created, quantity: qty, price },
    orderKey: name,
    excluded,
    orderLevel: ['customer', 'date'],
  };
}

/**
 * WooCommerce orders as the common order-export plugins write them (WooCommerce's Customer / Order
 * / Coupon Export default CSV and the Order Import Export suite): one row per order, `order_id` or
 * `order_number`, `order_date`, `status`, `order_total`, the customer by `customer_email` /
 * `billing_email`, else `customer_id` / `customer_user`. Orders whose status is cancelled,
 * refunded, failed, pending, draft or trash (with or without the `wc-` prefix) are dropped as
 * `cancelled`; completed, processing and on-hold orders count.
 */
function woocommerce(cols: ColumnInfo[]): Layout | undefined {
  const order = has(cols, 'order_number') ?? has(cols, 'order_id');
  const date = has(cols, 'order_date');
  const total = has(cols, 'order_total');
  const status = has(cols, 'status') ?? has(cols, 'order_status');
  const customer =
    has(cols, 'customer_email') ?? has(cols, 'billing_email') ?? has(cols, 'customer_id') ?? has(cols, 'customer_user');
  if (!order || !date || !total || !status || !customer) return undefined;
  const st = `regexp_replace(lower(coalesce(${blankToNull(status)}, '')), '^wc-', '')`;
  return {
    id: 'woocommerce',
    description:
      `WooCommerce order export (order-export plugin layout): customer = ${customer}, order = ${order}, date = ${date},` +
      ` monetary = ${total}; cancelled, refunded, failed, pending, draft and trashed orders dropped`,
    mapping: { customer, invoice: order, date, amount: total },
    orderKey: order,
    excluded: `${st} IN ('cancelled', 'refunded', 'failed', 'pending', 'draft', 'checkout-draft', 'trash')`,
    orderLevel: [],
  };
}

/** The platform layout the header matches, if any (only when no `--columns` mapping is given). */
export function detectLayout(cols: ColumnInfo[]): Layout | undefined {
  return shopify(cols) ?? woocommerce(cols);
}

/**
 * The rows of `src` with order-level facts spread to every row of the order: `_rfm_excluded`
 * (the order is cancelled or refunded) and blank customer / date filled from the order.
 */
export function layoutSourceSql(src: string, layout: Layout): string {
  const key = sqlIdent(layout.orderKey);
  const fills = layout.orderLevel.map((role) => {
    const col = layout.mapping[role]!;
    return { col, sql: `coalesce(${blankToNull(col)}, o.${sqlIdent(`_rfm_${role}`)}) AS ${sqlIdent(col)}` };
  });
  const orderCols = layout.orderLevel.map(
    (role) => `max(${blankToNull(layout.mapping[role]!)}) AS ${sqlIdent(`_rfm_${role}`)}`,
  );
  const replace = fills.length ? ` REPLACE (${fills.map((f) => f.sql).join(', ')})` : '';
  return `(SELECT s.*${replace}, coalesce(o._rfm_excluded, false) AS _rfm_excluded
  FROM ${src} AS s
  LEFT JOIN (SELECT ${key} AS _rfm_key, bool_or(${layout.excluded}) AS _rfm_excluded${orderCols.map((c) => `, ${c}`).join('')}
             FROM ${src} GROUP BY ${key}) AS o
  ON s.${key} = o._rfm_key)`;
}

import { extent, mulberry32, type PurchaseRhythm, type Rng } from '@rfm/shared';
import type { RfmTable } from '@rfm/ingest';

/**
 * Generated shops of known shapes, customer by customer with every purchase day, for the naming
 * and k-selection tests. The RFM table and the purchase rhythm are derived exactly as the export
 * reader derives them (recency in days to the snapshot, one invoice per purchase, the rhythm as
 * the median of each repeat customer's (last − first) / (purchases − 1)). Deterministic per seed.
 */
export interface Shop {
  table: RfmTable;
  rhythm: PurchaseRhythm;
  /** purchase days of every customer (day 0 = first day of the data), in table order */
  days: number[][];
  /** what each of those purchases cost */
  amounts: number[][];
  /** the snapshot day (recency is counted to it) */
  snapshot: number;
}

interface Buyer {
  days: number[];
  amount: number;
}

const lognormal = (rng: Rng, median: number, sigma: number) => {
  // Box–Muller
  const u = Math.max(rng(), 1e-12);
  const v = rng();
  return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
};
const expo = (rng: Rng, mean: number) => -mean * Math.log(Math.max(rng(), 1e-12));

/** A customer buying from `start` every ~`gap` days (exponential gaps) up to `n` times or until `end`. */
function repeatBuyer(rng: Rng, start: number, gap: number, n: number, end: number, amount: number): Buyer {
  const days = [Math.floor(start)];
  let d = start;
  while (days.length < n) {
    d += Math.max(1, expo(rng, gap));
    if (d > end) break;
    days.push(Math.floor(d));
  }
  return { days, amount };
}

/** Buyers → the shop's RFM table and rhythm, with the snapshot the day after `lastDay` (or `asOf`). */
export function shopOf(buyers: Buyer[], opts: { asOf?: number } = {}): Shop {
  const rng = mulberry32(7);
  // extent, not Math.max(...days): a shop of 100k+ purchase days overflows the call stack
  const { min: firstDay, max: lastDay } = extent(buyers.flatMap((b) => b.days));
  const snapshot = opts.asOf ?? lastDay + 1;
  const n = buyers.length;
  const raw = new Float64Array(n * 3);
  const gaps: number[] = [];
  const days: number[][] = [];
  const amounts: number[][] = [];
  buyers.forEach((b, i) => {
    const ds = [...new Set(b.days)].sort((x, y) => x - y);
    days.push(ds);
    raw[i * 3] = snapshot - ds[ds.length - 1]!;
    raw[i * 3 + 1] = ds.length;
    // whole cents, so the export path's DECIMAL sum and this one agree exactly
    const as = ds.map(() => Math.max(1, Math.round(lognormal(rng, b.amount, 0.3) * 100)));
    amounts.push(as.map((c) => c / 100));
    raw[i * 3 + 2] = as.reduce((x, y) => x + y, 0) / 100;
    if (ds.length > 1) gaps.push((ds[ds.length - 1]! - ds[0]!) / (ds.length - 1));
  });
  gaps.sort((x, y) => x - y);
  const med = gaps.length
    ? gaps.length % 2
      ? gaps[(gaps.length - 1) / 2]!
      : (gaps[gaps.length / 2 - 1]! + gaps[gaps.length / 2]!) / 2
    : null;
  const cids = buyers.map((_, i) => `C${String(i).padStart(5, '0')}`);
  return {
    table: { cids, raw },
    rhythm: {
      median_gap_days: med,
      repeat_customers: gaps.length,
      span_days: lastDay - firstDay,
      basis: 'transactions',
    },
    days,
    amounts,
    snapshot,
  };
}

/**
 * The shop as a UCI-style export (one line per purchase, day 0 = 2010-12-01), and the `--as-of`
 * date that gives the same snapshot. Training on it must give exactly `shop.table`.
 */
export function shopCsv(shop: Shop): { csv: string; asOf: string } {
  const day0 = Date.UTC(2010, 11, 1);
  const date = (d: number) => {
    const t = new Date(day0 + d * 86_400_000);
    return `${t.getUTCMonth() + 1}/${t.getUTCDate()}/${t.getUTCFullYear()} 10:00`;
  };
  const lines = ['InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country'];
  let invoice = 500000;
  shop.days.forEach((ds, i) => {
    ds.forEach((d, j) => {
      lines.push(`${invoice++},A,ITEM,1,${date(d)},${shop.amounts[i]![j]!.toFixed(2)},${shop.table.cids[i]},UK`);
    });
  });
  return {
    csv: `${lines.join('\n')}\n`,
    asOf: new Date(day0 + shop.snapshot * 86_400_000).toISOString().slice(0, 10),
  };
}

/**
 * UCI-like: a year of trade; 40 % buy once on a random day, 35 % now and then (2–5 purchases ~60
 * days apart), 20 % regulars (~20 days apart), 5 % heavy buyers (~7 days apart) — each starting on
 * a random day, some of the later ones churned.
 */
export function uciLikeShop(seed = 1, n = 1500): Shop {
  const rng = mulberry32(seed);
  const span = 373;
  const buyers: Buyer[] = [];
  for (let i = 0; i < n; i++) {
    const u = rng();
    const start = rng() * span;
    const end = rng() < 0.3 ? start + rng() * (span - start) : span;
    if (u < 0.4) buyers.push({ days: [Math.floor(start)], amount: lognormal(rng, 250, 0.6) });
    else if (u < 0.75)
      buyers.push(repeatBuyer(rng, rng() * span * 0.7, 60, 2 + Math.floor(rng() * 4), end, lognormal(rng, 250, 0.5)));
    else if (u < 0.95) buyers.push(repeatBuyer(rng, rng() * span * 0.5, 20, 30, end, lognormal(rng, 300, 0.5)));
    else buyers.push(repeatBuyer(rng, rng() * 60, 7, 80, span, lognormal(rng, 500, 0.5)));
  }
  return shopOf(buyers);
}

/**
 * A cohort acquired in the first 3 months and watched for 18 (snapshot day 540): 70 % bought once,
 * 30 % bought every ~20 days for a few purchases; nobody bought after day 200.
 */
export function stoppedCohortShop(seed = 2, n = 1200): Shop {
  const rng = mulberry32(seed);
  const buyers: Buyer[] = [];
  for (let i = 0; i < n; i++) {
    const start = rng() * 90;
    if (rng() < 0.7) buyers.push({ days: [Math.floor(start)], amount: lognormal(rng, 60, 0.5) });
    else buyers.push(repeatBuyer(rng, start, 20, 2 + Math.floor(rng() * 8), 200, lognormal(rng, 60, 0.5)));
  }
  return shopOf(buyers, { asOf: 540 });
}

/**
 * A subscription-like shop: everyone buys every ~30 days (29–31) from a start in the first two
 * months until the end of the year; 15 % cancelled at some point.
 */
export function subscriptionShop(seed = 3, n = 800): Shop {
  const rng = mulberry32(seed);
  const buyers: Buyer[] = [];
  for (let i = 0; i < n; i++) {
    const start = rng() * 60;
    const end = rng() < 0.15 ? 90 + rng() * 250 : 365;
    const days: number[] = [];
    for (let d = start; d <= end; d += 29 + rng() * 2) days.push(Math.floor(d));
    buyers.push({ days, amount: 30 * (1 + Math.floor(rng() * 3)) });
  }
  return shopOf(buyers);
}

/** The UCI-like shop plus a few whales: 12 customers buying weekly with baskets 100× the usual. */
export function whalesShop(seed = 4, n = 1000): Shop {
  const rng = mulberry32(seed);
  const base = uciLikeShop(seed, n);
  const buyers: Buyer[] = base.days.map((days, i) => ({ days, amount: base.table.raw[i * 3 + 2]! / days.length }));
  for (let i = 0; i < 12; i++) buyers.push(repeatBuyer(rng, rng() * 30, 7, 60, 373, lognormal(rng, 40_000, 0.3)));
  return shopOf(buyers);
}

/**
 * `groups` well-separated groups of customers (200 each) straight in RFM terms: group centres
 * spread in log space (recency 3…300 days, frequency 1…40, spend 50…50,000), customers scattered
 * tightly around them. For the k-selection test: k auto must find `groups`.
 */
export function separatedGroups(groups: number, seed = 5, perGroup = 200): RfmTable {
  const rng = mulberry32(seed);
  // Corners and faces of the log-RFM cube, far apart after standardizing.
  const centres: [number, number, number][] = [
    [3, 40, 50_000],
    [300, 1, 50],
    [30, 6, 2_000],
    [300, 40, 50],
    [3, 1, 50_000],
    [300, 1, 50_000],
    [3, 40, 50],
    [30, 1, 500],
  ];
  const n = groups * perGroup;
  const raw = new Float64Array(n * 3);
  const cids: string[] = [];
  for (let g = 0; g < groups; g++)
    for (let j = 0; j < perGroup; j++) {
      const i = g * perGroup + j;
      const [r, f, m] = centres[g]!;
      raw[i * 3] = Math.max(0, Math.round(lognormal(rng, r, 0.15)));
      raw[i * 3 + 1] = Math.max(1, Math.round(lognormal(rng, f, 0.1)));
      raw[i * 3 + 2] = Math.round(lognormal(rng, m, 0.15) * 100) / 100;
      cids.push(`G${g}-${j}`);
    }
  return { cids, raw };
}

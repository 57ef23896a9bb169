/**
 * bench/gen-data — a synthetic transaction export shaped like UCI Online Retail, for scale tests.
 *
 *   npm run gen:data -- --rows N --customers M --out FILE[.csv|.csv.gz] [--seed S]
 *
 * Same columns and date format as UCI (`InvoiceNo,StockCode,Description,Quantity,InvoiceDate,
 * UnitPrice,CustomerID,Country`, dates like `12/1/2010 8:26`), rows in time order over one year:
 * - customer activity is skewed: each customer's weight is lognormal (σ 1.3), so a few customers
 *   buy very often and most rarely; each has an active window inside the year (early churners get
 *   a large recency), sampled by rejection so the weights still hold within a window;
 * - about 20 % of invoices have no customer id, about 2 % are cancellations (`C` invoice, negative
 *   quantities), 0.3 % of lines are returns without a `C` (negative quantity), 0.1 % cost 0;
 * - lines per invoice geometric (mean about 20), quantities and prices lognormal, some descriptions
 *   quoted because they contain a comma.
 * Deterministic for a seed (mulberry32). Streams to disk in 1 MB writes (memory is O(customers));
 * `.gz` output is gzipped on the way (level 3, zlib runs off the main thread).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { mulberry32 } from '@rfm/shared';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';

export interface GenOptions {
  rows: number;
  customers: number;
  out: string;
  seed?: number;
}

const HEADER = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n';
const COUNTRIES = [
  'United Kingdom',
  'Germany',
  'France',
  'EIRE',
  'Spain',
  'Netherlands',
  'Belgium',
  'Switzerland',
  'Portugal',
  'Australia',
];
const WORDS = [
  'WHITE',
  'HANGING',
  'HEART',
  'T-LIGHT',
  'HOLDER',
  'METAL',
  'LANTERN',
  'CREAM',
  'CUPID',
  'COAT',
  'HANGER',
  'KNITTED',
  'FLAG',
  'MUG',
  'VINTAGE',
  'RED',
  'BAG',
  'JUMBO',
  'SET',
  'CAKE',
  'TINS',
  'PANTRY',
  'REGENCY',
  'TEACUP',
  'SAUCER',
];
const START = Date.UTC(2010, 11, 1, 8, 0); // 2010-12-01 08:00
const SPAN = Date.UTC(2011, 11, 9, 18, 0) - START;

export async function generate(o: GenOptions): Promise<{ rows: number; invoices: number; ms: number }> {
  const t0 = performance.now();
  const rng = mulberry32(o.seed ?? 42);
  const gauss = () => {
    // Box–Muller (one of the pair is enough here)
    const u = 1 - rng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
  };
  const M = o.customers;
  // customers: cumulative weights for O(log M) sampling, active windows, country, id
  const cum = new Float64Array(M);
  const from = new Float64Array(M);
  const to = new Float64Array(M);
  const country = new Uint8Array(M);
  let acc = 0;
  for (let c = 0; c < M; c++) {
    acc += Math.exp(1.3 * gauss());
    cum[c] = acc;
    const a = rng() < 0.35 ? 0 : rng() * 0.8; // a third were already customers when the year began
    const b = rng() < 0.45 ? 1 : a + (1 - a) * rng(); // about half are still active at the end
    from[c] = a;
    to[c] = Math.max(b, a + 0.02);
    country[c] = rng() < 0.88 ? 0 : 1 + Math.floor(rng() * (COUNTRIES.length - 1));
  }
  const pick = (): number => {
    const target = rng() * acc;
    let lo = 0;
    let hi = M - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  // stock: code, description (CSV-ready), price
  const ITEMS = 4000;
  const code: string[] = [];
  const desc: string[] = [];
  const price: string[] = [];
  const item: string[] = []; // "code,description," ready to write
  for (let s = 0; s < ITEMS; s++) {
    code.push(String(10000 + s * 17) + (rng() < 0.3 ? 'ABCDEFG'[Math.floor(rng() * 7)]! : ''));
    const n = 2 + Math.floor(rng() * 4);
    const words = Array.from({ length: n }, () => WORDS[Math.floor(rng() * WORDS.length)]!);
    desc.push(
      n >= 3 && rng() < 0.05 ? `"${words.slice(0, 2).join(' ')}, ${words.slice(2).join(' ')}"` : words.join(' '),
    );
    price.push((Math.round(Math.exp(0.9 + 0.9 * gauss()) * 100) / 100 + 0.01).toFixed(2));
    item.push(`${code[s]},${desc[s]},`);
  }

  const gz = o.out.endsWith('.gz');
  const file = createWriteStream(o.out);
  const zip = gz ? createGzip({ level: 3 }) : undefined;
  if (zip) zip.pipe(file);
  const sink: Writable = zip ?? file;
  const write = async (s: string) => {
    if (!sink.write(s)) await once(sink, 'drain');
  };
  await write(HEADER);

  const expectedInvoices = o.rows / 20;
  let rows = 0;
  let invoices = 0;
  let invNo = 536365;
  let buf = '';
  const custId = (c: number) => String(12346 + c);
  while (rows < o.rows) {
    const pos = Math.min(1, invoices / expectedInvoices);
    const tms = START + pos * SPAN + rng() * 3_600_000;
    const d = new Date(tms);
    const date = `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${d.getUTCHours()}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
    const anonymous = rng() < 0.2;
    let c = -1;
    if (!anonymous) {
      for (let tries = 0; tries < 8; tries++) {
        c = pick();
        if (pos >= from[c]! && pos <= to[c]!) break;
      }
    }
    const cancelled = !anonymous && rng() < 0.02;
    const inv = cancelled ? `C${invNo}` : String(invNo);
    invNo++;
    invoices++;
    const tail = `,${c < 0 ? '' : custId(c)},${COUNTRIES[c < 0 ? 0 : country[c]!]!}\n`;
    const head = `${inv},`;
    const mid = `,${date},`;
    // geometric number of lines, mean about 20 (cancellations are short)
    let lines = 1 + Math.floor(Math.log(1 - rng()) / Math.log(cancelled ? 0.5 : 0.95));
    lines = Math.min(lines, o.rows - rows);
    for (let l = 0; l < lines; l++) {
      const s = Math.floor(rng() * ITEMS);
      let q = Math.max(1, Math.round(Math.exp(1.3 + 1.0 * gauss())));
      if (cancelled || rng() < 0.003) q = -q;
      const p = rng() < 0.001 ? '0' : price[s]!;
      buf += head + item[s] + q + mid + p + tail;
    }
    rows += lines;
    if (buf.length > 1 << 20) {
      await write(buf);
      buf = '';
    }
  }
  if (buf) await write(buf);
  sink.end();
  await once(file, 'close');
  return { rows, invoices, ms: performance.now() - t0 };
}

function optionsFrom(argv: string[]): GenOptions {
  const usage = 'npm run gen:data -- --rows N --customers M --out FILE[.csv|.csv.gz] [--seed S]';
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        rows: { type: 'string' },
        customers: { type: 'string' },
        out: { type: 'string' },
        seed: { type: 'string' },
      },
    }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\nusage: ${usage}`);
    process.exit(2);
  }
  const get = (name: string) => values[name];
  const rows = Number(get('rows'));
  const customers = Number(get('customers'));
  const out = get('out');
  const seed = get('seed') !== undefined ? Number(get('seed')) : 42;
  if (
    !Number.isInteger(rows) ||
    rows < 1 ||
    !Number.isInteger(customers) ||
    customers < 1 ||
    !out ||
    !Number.isInteger(seed)
  ) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  return { rows, customers, out, seed };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const o = optionsFrom(process.argv.slice(2));
  const r = await generate(o);
  console.log(
    `wrote ${o.out}: ${r.rows.toLocaleString('en-US')} rows, ${r.invoices.toLocaleString('en-US')} invoices, ${o.customers.toLocaleString('en-US')} ` +
      `customers (seed ${o.seed}) in ${(r.ms / 1000).toFixed(1)} s`,
  );
}

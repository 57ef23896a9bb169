#!/usr/bin/env node
// Cuts data/online_retail_sample.csv.gz from the full UCI Online Retail export.
// Usage: node bench/cut-sample.mjs SOURCE.csv.gz OUT.csv.gz [--seed 42] [--customers 300]
//
// Every row of a seeded random choice of customers (so their RFM is exact), skipping the few
// customers with more than 120 rows to keep the file small; plus every row of a few invoices
// without a customer id. Rows keep the source's columns, values and order, so cancellations,
// missing customer ids and zero prices appear as they do in the full export.
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { mulberry32 } from '@rfm/shared'; // the built package: `npm run build` first

const usage = 'usage: node bench/cut-sample.mjs SOURCE.csv.gz OUT.csv.gz [--seed 42] [--customers 300]';
let parsed;
try {
  parsed = parseArgs({
    strict: true,
    allowPositionals: true,
    options: { seed: { type: 'string', default: '42' }, customers: { type: 'string', default: '300' } },
  });
} catch (e) {
  console.error(`${e.message}\n${usage}`);
  process.exit(64);
}
const seed = Number(parsed.values.seed);
const wanted = Number(parsed.values.customers);
const [source, out] = parsed.positionals;
if (!source || !out) {
  console.error(usage);
  process.exit(64);
}

function shuffle(xs, rng) {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}
const MAX_ROWS = 120;
const q = (s) => `'${String(s).replaceAll("'", "''")}'`;

// One thread: DuckDB then keeps the file's row order from read to write.
const db = await DuckDBInstance.create(':memory:', { threads: '1' });
const conn = await db.connect();
const rows = async (sql) => (await conn.runAndReadAll(sql)).getRowObjectsJson();
await conn.run(`CREATE TABLE src AS SELECT * FROM read_csv(${q(source)}, header = true, all_varchar = true)`);

const rng = mulberry32(seed);
const customers =
  await rows(`SELECT CustomerID AS c, count(*) AS n, bool_or(TRY_CAST(UnitPrice AS DOUBLE) = 0) AS zero_price
  FROM src WHERE CustomerID IS NOT NULL GROUP BY CustomerID ORDER BY CustomerID`);
// Two customers with a zero-price line, so that drop reason is in the sample too.
const chosen = new Set(
  customers
    .filter((c) => c.zero_price && Number(c.n) <= MAX_ROWS)
    .slice(0, 2)
    .map((c) => c.c),
);
for (const c of shuffle(
  customers.filter((c) => Number(c.n) <= MAX_ROWS),
  rng,
)) {
  if (chosen.size >= wanted) break;
  chosen.add(c.c);
}
const invoices = await rows(
  `SELECT InvoiceNo AS i FROM src WHERE CustomerID IS NULL GROUP BY InvoiceNo HAVING count(*) BETWEEN 5 AND 30 ORDER BY InvoiceNo`,
);
const anonymous = shuffle(
  invoices.map((r) => r.i),
  rng,
).slice(0, 6);

await conn.run(`COPY (SELECT * FROM src WHERE CustomerID IN (${[...chosen].map(q).join(',')})
  OR (CustomerID IS NULL AND InvoiceNo IN (${anonymous.map(q).join(',')})))
  TO ${q(out)} (FORMAT csv, HEADER true, COMPRESSION gzip)`);
const [s] =
  await rows(`SELECT count(*) AS rows, count(DISTINCT CustomerID) AS customers, count(*) FILTER (WHERE CustomerID IS NULL) AS no_customer,
  count(*) FILTER (WHERE starts_with(InvoiceNo, 'C')) AS cancelled FROM read_csv(${q(out)}, header = true, all_varchar = true)`);
console.log(JSON.stringify({ out, seed, ...s }));

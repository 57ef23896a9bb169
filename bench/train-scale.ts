/**
 * bench/train-scale — wall time and peak RSS of `rfm train` (process start to registered version)
 * as the export grows: 100k, 1M and 10M rows of the same 100,000-customer population, so the growth
 * of time (≈ rows) and memory (≈ customers, not rows) is visible; then one RFM table of 1,000,000
 * customers (`--features`, k-means stage at that size: sampled restarts); then the 1M-row export
 * again in the shapes that need rfm's slower readers, printed beside the plain CSV: European
 * (Windows-1252, `;`, decimal commas, day-first dotted dates: converted to UTF-8 by Node first) and
 * .xlsx (streamed row by row by exceljs into a CSV first).
 *
 *   npm run bench:train-scale -- [--dir DIR] [--sizes 100000,1000000,10000000] [--big-customers 1000000] [--formats-rows 1000000]
 *
 * Exports are generated once with bench/gen-data.ts into DIR (default: <tmpdir>/rfm-train-scale,
 * reused by later runs; 10M rows ≈ 0.8 GB) — never inside the repository. Peak RSS is
 * /usr/bin/time -v's "Maximum resident set size" of the rfm process (DuckDB's native memory
 * included). Prints the load average: figures on a busy machine are not comparable.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { benchArgs, buildFirst, numberFlag, ROOT } from './args.js';
import { generate } from './gen-data.js';
import { toEuropean, toXlsx } from './formats.js';

const USAGE = 'npm run bench:train-scale -- [--dir DIR] [--sizes 100000,1000000,10000000] [--big-customers 1000000]';
const { values: opt } = benchArgs('bench/train-scale', USAGE, {
  options: {
    dir: { type: 'string', default: join(tmpdir(), 'rfm-train-scale') },
    sizes: { type: 'string', default: '100000,1000000,10000000' },
    'big-customers': { type: 'string' },
  },
});
const DIR = resolve(opt.dir);
const SIZES = opt.sizes
  .split(',')
  .filter((v) => /^\d+$/.test(v))
  .map(Number);
const CUSTOMERS = 100_000;
const BIG = numberFlag('bench/train-scale', 'big-customers', opt['big-customers'], 1_000_000);
buildFirst('bench/train-scale');
mkdirSync(DIR, { recursive: true });
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const fmt = (n: number) => n.toLocaleString('en-US');

interface Measured {
  wall: number;
  rssMb: number;
  json: {
    data: { rows_read: number; customers: number };
    phases_ms: Record<string, number>;
    metrics: { inertia: number };
    params: { algorithm?: string; restart_sample?: number };
  };
}

function run(args: string[]): Measured {
  const reg = join(DIR, `registry-${process.pid}.db`);
  try {
    const r = spawnSync(
      '/usr/bin/time',
      ['-v', process.execPath, join(ROOT, 'cli', 'bin', 'rfm.js'), 'train', ...args, '--registry', reg, '--json'],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    if (r.status !== 0) throw new Error(`rfm train failed (${r.status}): ${r.stderr.slice(-2000)}`);
    const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN);
    const el = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
    const wall = el ? (Number(el[1] ?? 0) * 3600 + Number(el[2]) * 60 + Number(el[3])) * 1000 : NaN;
    return { wall, rssMb: rss / 1024, json: JSON.parse(r.stdout) as Measured['json'] };
  } finally {
    for (const f of [reg, `${reg}-wal`, `${reg}-shm`]) rmSync(f, { force: true });
  }
}

function line(label: string, m: Measured): void {
  const p = m.json.phases_ms;
  const main = ['read_clean_aggregate', 'read_features', 'fit', 'evaluate', 'report', 'register']
    .filter((k) => p[k] !== undefined)
    .map((k) => `${k} ${(p[k]! / 1000).toFixed(2)} s`);
  console.log(
    `${label.padEnd(34)} wall ${(m.wall / 1000).toFixed(1).padStart(5)} s   peak RSS ${m.rssMb.toFixed(0).padStart(5)} MB   ` +
      `${fmt(m.json.data.customers).padStart(9)} customers   ${main.join(', ')}${
        m.json.params.algorithm
          ? `   ` +
            `[${m.json.params.algorithm}${m.json.params.restart_sample ? ` on ${fmt(m.json.params.restart_sample)}` : ''}]`
          : ''
      }`,
  );
}

console.log(`bench/train-scale: node ${process.version}, files in ${DIR}; load average before: ${load()}`);
for (const rows of SIZES) {
  const file = join(DIR, `export-${rows}-${CUSTOMERS}.csv`);
  if (!existsSync(file)) {
    const g = await generate({ rows, customers: CUSTOMERS, out: file, seed: 42 });
    console.log(`  (generated ${file} in ${(g.ms / 1000).toFixed(1)} s)`);
  }
  line(`${fmt(rows)} rows, ${fmt(CUSTOMERS)} pop.`, run([file]));
}

// 1M customers: an RFM table made by DuckDB (skewed, lognormal), trained with --features (--big-customers 0: skipped)
if (BIG > 0) {
  const big = join(DIR, `features-${BIG}.parquet`);
  if (!existsSync(big)) {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const inst = await DuckDBInstance.create(':memory:');
    const c = await inst.connect();
    await c.run('SELECT setseed(0.42)');
    await c.run(`COPY (SELECT 'C' || lpad(CAST(i AS VARCHAR), 8, '0') AS cid,
      CAST(least(373, floor(exp(random() * 5.9))) AS INTEGER) AS recency,
      CAST(least(300, 1 + floor(exp(-ln(1 - random()) * 0.9))) AS INTEGER) AS frequency,
      round(exp(5 + 1.3 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())), 2) + 1 AS monetary
    FROM range(${BIG}) t(i)) TO '${big}' (FORMAT parquet)`);
    c.closeSync();
    inst.closeSync();
  }
  line(`${fmt(BIG)} customers (--features)`, run(['--features', big]));
}

// The same 1M rows in the shapes that take the fallback readers, beside the plain CSV.
const FORMAT_ROWS = Number(flag('formats-rows', '1000000'));
if (FORMAT_ROWS > 0) {
  const plain = join(DIR, `export-${FORMAT_ROWS}-${CUSTOMERS}.csv`);
  if (!existsSync(plain)) await generate({ rows: FORMAT_ROWS, customers: CUSTOMERS, out: plain, seed: 42 });
  const euro = join(DIR, `export-${FORMAT_ROWS}-${CUSTOMERS}-european.csv`);
  if (!existsSync(euro)) {
    const t = performance.now();
    await toEuropean(plain, euro);
    console.log(`  (wrote ${euro} in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
  }
  console.log(`formats, ${fmt(FORMAT_ROWS)} rows (load average now: ${load()}):`);
  line('  plain CSV (UTF-8, `,`)', run([plain]));
  line('  Windows-1252 `;` decimal comma', run([euro]));
  const xlsx = join(DIR, `export-${FORMAT_ROWS}-${CUSTOMERS}.xlsx`);
  if (!existsSync(xlsx)) {
    const t = performance.now();
    await toXlsx(plain, `${xlsx}.part`);
    renameSync(`${xlsx}.part`, xlsx);
    console.log(`  (wrote ${xlsx} in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
  }
  line('  .xlsx', run([xlsx]));
}
console.log(`load average after: ${load()}`);

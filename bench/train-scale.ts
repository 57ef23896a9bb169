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
 *   npm run bench:train-scale -- --rows 100000000     (opt-in: minutes and ~20 GB of disk)
 *
 * --rows N measures growth instead: 1M → 10M → N rows (one customer per 100 rows, at least 100,000),
 * `rfm train` and `rfm features` on each, with DuckDB's memory limit (RFM_DUCKDB_MEMORY, default
 * 1GB) making it spill to its temp folder rather than take the machine's memory. An export above
 * 10M rows is generated into a private folder that is deleted in a `finally`, after checking that
 * the disk has room for it, DuckDB's spill and the output (about 200 bytes per row: 20 GB for 100M);
 * otherwise the bench refuses before writing anything.
 *
 * Exports are generated once with bench/gen-data.ts into DIR (default: <tmpdir>/rfm-train-scale,
 * reused by later runs; 10M rows ≈ 0.8 GB) — never inside the repository. Peak RSS is
 * /usr/bin/time -v's "Maximum resident set size" of the rfm process (DuckDB's native memory
 * included). Prints the load average: figures on a busy machine are not comparable.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statfsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { benchArgs, buildFirst, fail, numberFlag, ROOT } from './args.js';
import { generate } from './gen-data.js';
import { toEuropean, toXlsx } from './formats.js';

const USAGE =
  'npm run bench:train-scale -- [--dir DIR] [--sizes 100000,1000000,10000000] [--big-customers 1000000] [--formats-rows 1000000] | --rows N';
const { values: opt } = benchArgs('bench/train-scale', USAGE, {
  options: {
    dir: { type: 'string', default: join(tmpdir(), 'rfm-train-scale') },
    sizes: { type: 'string', default: '100000,1000000,10000000' },
    'big-customers': { type: 'string' },
    'formats-rows': { type: 'string' },
    rows: { type: 'string' },
  },
});
const DIR = resolve(opt.dir);
const GROWTH = opt.rows === undefined ? undefined : numberFlag('bench/train-scale', 'rows', opt.rows, 0, 1000);
const SIZES = GROWTH
  ? [...new Set([1_000_000, 10_000_000, GROWTH])].filter((n) => n <= GROWTH).sort((a, b) => a - b)
  : opt.sizes
      .split(',')
      .filter((v) => /^\d+$/.test(v))
      .map(Number);
const customersFor = (rows: number) => (GROWTH ? Math.max(100_000, Math.round(rows / 100)) : 100_000);
// the growth run measures rows only; the other sections stay what they were unless asked for
const BIG = numberFlag('bench/train-scale', 'big-customers', opt['big-customers'], GROWTH ? 0 : 1_000_000, 0);
const FORMAT_ROWS = numberFlag('bench/train-scale', 'formats-rows', opt['formats-rows'], GROWTH ? 0 : 1_000_000, 0);
/** Bytes of disk a run over `rows` needs: the CSV (~77 B/row), DuckDB's spill at most as much again, the rest. */
const BYTES_PER_ROW = 200;
/** Exports above this are generated for one run and deleted after it, not kept in DIR. */
const KEEP_ROWS = 10_000_000;
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

function run(args: string[], command: 'train' | 'features' = 'train'): Measured {
  const reg = join(DIR, `registry-${process.pid}.db`);
  const out = join(DIR, `features-out-${process.pid}.parquet`);
  try {
    const r = spawnSync(
      '/usr/bin/time',
      [
        '-v',
        process.execPath,
        join(ROOT, 'cli', 'bin', 'rfm.js'),
        command,
        ...args,
        ...(command === 'train' ? ['--registry', reg] : ['--out', out]),
        '--json',
      ],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    if (r.status !== 0) throw new Error(`rfm ${command} failed (${r.status}): ${r.stderr.slice(-2000)}`);
    const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN);
    const el = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
    const wall = el ? (Number(el[1] ?? 0) * 3600 + Number(el[2]) * 60 + Number(el[3])) * 1000 : NaN;
    return { wall, rssMb: rss / 1024, json: JSON.parse(r.stdout) as Measured['json'] };
  } finally {
    for (const f of [reg, `${reg}-wal`, `${reg}-shm`, out]) rmSync(f, { force: true });
  }
}

function line(label: string, m: Measured): void {
  const p = m.json.phases_ms ?? {};
  const main = ['read_clean_aggregate', 'read_features', 'fit', 'evaluate', 'report', 'register']
    .filter((k) => p[k] !== undefined)
    .map((k) => `${k} ${(p[k]! / 1000).toFixed(2)} s`);
  console.log(
    `${label.padEnd(34)} wall ${(m.wall / 1000).toFixed(1).padStart(5)} s   peak RSS ${m.rssMb.toFixed(0).padStart(5)} MB   ` +
      `${fmt(m.json.data.customers).padStart(9)} customers   ${main.join(', ')}${
        m.json.params?.algorithm
          ? `   ` +
            `[${m.json.params.algorithm}${m.json.params.restart_sample ? ` on ${fmt(m.json.params.restart_sample)}` : ''}]`
          : ''
      }`,
  );
}

/** Refuse before writing anything when the disk holding DIR cannot take a run over `rows`. */
function checkDisk(rows: number): void {
  const st = statfsSync(DIR);
  const free = st.bavail * st.bsize;
  const need = rows * BYTES_PER_ROW;
  if (free < need)
    fail(
      'bench/train-scale',
      `${fmt(rows)} rows need about ${(need / 1e9).toFixed(0)} GB free in ${DIR} (export, DuckDB's spill, output); ` +
        `${(free / 1e9).toFixed(1)} GB are free. Free some space or pass --dir on a larger disk`,
    );
}

console.log(
  `bench/train-scale: node ${process.version}, files in ${DIR}, RFM_DUCKDB_MEMORY ${process.env.RFM_DUCKDB_MEMORY ?? '1GB (default)'}; ` +
    `load average before: ${load()}`,
);
const grown: { rows: number; train: Measured; features?: Measured }[] = [];
for (const rows of SIZES) {
  const customers = customersFor(rows);
  const once = rows > KEEP_ROWS ? mkdtempSync(join(DIR, 'once-')) : undefined;
  try {
    if (once) checkDisk(rows);
    const file = join(once ?? DIR, `export-${rows}-${customers}.csv`);
    if (!existsSync(file)) {
      const g = await generate({ rows, customers, out: file, seed: 42 });
      console.log(`  (generated ${file} in ${(g.ms / 1000).toFixed(1)} s)`);
    }
    const train = run([file]);
    line(`${fmt(rows)} rows, ${fmt(customers)} pop.`, train);
    const features = GROWTH ? run([file], 'features') : undefined;
    if (features)
      console.log(
        `${'  rfm features (→ Parquet)'.padEnd(34)} wall ${(features.wall / 1000).toFixed(1).padStart(5)} s` +
          `   peak RSS ${features.rssMb.toFixed(0).padStart(5)} MB`,
      );
    grown.push({ rows, train, ...(features ? { features } : {}) });
  } finally {
    if (once) rmSync(once, { recursive: true, force: true });
  }
}
if (GROWTH)
  for (let i = 1; i < grown.length; i++) {
    const [a, b] = [grown[i - 1]!, grown[i]!];
    console.log(
      `growth ${fmt(a.rows)} → ${fmt(b.rows)} rows (×${(b.rows / a.rows).toFixed(0)}): train wall ×${(b.train.wall / a.train.wall).toFixed(1)}, ` +
        `peak RSS ×${(b.train.rssMb / a.train.rssMb).toFixed(2)}` +
        (a.features && b.features
          ? `; features wall ×${(b.features.wall / a.features.wall).toFixed(1)}, peak RSS ×${(b.features.rssMb / a.features.rssMb).toFixed(2)}`
          : ''),
    );
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
if (FORMAT_ROWS > 0) {
  const plain = join(DIR, `export-${FORMAT_ROWS}-${customersFor(FORMAT_ROWS)}.csv`);
  if (!existsSync(plain))
    await generate({ rows: FORMAT_ROWS, customers: customersFor(FORMAT_ROWS), out: plain, seed: 42 });
  const euro = join(DIR, `export-${FORMAT_ROWS}-${customersFor(FORMAT_ROWS)}-european.csv`);
  if (!existsSync(euro)) {
    const t = performance.now();
    await toEuropean(plain, euro);
    console.log(`  (wrote ${euro} in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
  }
  console.log(`formats, ${fmt(FORMAT_ROWS)} rows (load average now: ${load()}):`);
  line('  plain CSV (UTF-8, `,`)', run([plain]));
  line('  Windows-1252 `;` decimal comma', run([euro]));
  const xlsx = join(DIR, `export-${FORMAT_ROWS}-${customersFor(FORMAT_ROWS)}.xlsx`);
  if (!existsSync(xlsx)) {
    const t = performance.now();
    await toXlsx(plain, `${xlsx}.part`);
    renameSync(`${xlsx}.part`, xlsx);
    console.log(`  (wrote ${xlsx} in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
  }
  line('  .xlsx', run([xlsx]));
}
console.log(`load average after: ${load()}`);

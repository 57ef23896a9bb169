/**
 * Hostile exports: each broken file ends in its clear error — through the real `rfm train` process:
 * RfmError code → exit code, a message naming the file and what is wrong, no stack trace, nothing
 * registered — or in its counted drops (through train() in this process, which is what `rfm train`
 * calls: same registration, without paying a process start-up and a TensorFlow.js load per case),
 * never in a crash, and never in a registered version built from garbage.
 *
 * Small files are kept in tests/fixtures/hostile/ (good.csv is the clean export the others are
 * derived from; see its README). Binary and big ones are made here at test time: gzip files cut
 * short (mid-stream, and exactly at a line boundary, which DuckDB reads as a valid shorter export),
 * Parquet files with the wrong column types, random bytes, and a huge line.
 *
 * The huge line is 64 MB by default (RFM_HOSTILE_LINE_MB=1024 for 1 GB): the import looks for
 * over-long lines before DuckDB sniffs the file and stops at the first line past 2,000,000 bytes
 * (DuckDB's own max_line_size), so whether the line is 64 MB or 1 GB only changes how many bytes
 * the sha256 pass reads: the check, the error and the time to it are the same. A long line further
 * than the pre-check's 16 MB is found by the sha256 pass, which interrupts DuckDB ("late" case).
 */
import { expect } from 'chai';
import { copyFileSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { constants, createGzip, gzipSync } from 'node:zlib';
import { Registry } from '@rfm/registry';
import { makeArtifact } from '@rfm/shared/testing';
import { train, type TrainResult } from '@rfm/training';
import { writeShape } from '@rfm/ingest/testing';
import { ROOT, rfm, tempDir } from '../support.js';
import { auditRegistry } from './helpers.js';

const HOSTILE = join(ROOT, 'tests', 'fixtures', 'hostile');
const LINE_MB = Number(process.env.RFM_HOSTILE_LINE_MB ?? 64);
const MODEL = 'customer-segments';

interface Ok {
  ok: true;
  /** drops by reason (zero reasons left out); rows kept and customers */
  dropped: Record<string, number>;
  kept: number;
  customers: number;
}
interface Fails {
  ok: false;
  exit: number;
  code: string;
  message: RegExp;
}
interface Case {
  name: string;
  /** --columns mapping (train's `columns`) */
  columns?: Record<string, string>;
  /** path of the export (fixture or made in `dir`) */
  file: (dir: string) => string | Promise<string>;
  expect: Ok | Fails;
}

const SAME_AS_GOOD: Ok = { ok: true, dropped: {}, kept: 42, customers: 12 };
const fixture = (f: string) => () => join(HOSTILE, f);
const fails = (exit: number, code: string, message: RegExp): Fails => ({ ok: false, exit, code, message });
const ONE_COLUMN = /was read as one single column, so its delimiter was not recognised/;

const goodCsv = () => readFileSync(join(HOSTILE, 'good.csv'));
const goodLines = () => goodCsv().toString('utf8').split('\n').filter(Boolean);

/** Deterministic bytes (no Math.random: a failing case must be the same case next time). */
function noise(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

async function parquet(dir: string, name: string, select: string): Promise<string> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  const out = join(dir, name);
  const src = `read_csv('${join(HOSTILE, 'good.csv')}', header = true, all_varchar = true)`;
  try {
    await conn.run(`COPY (${select.replaceAll('$SRC', src)}) TO '${out}' (FORMAT parquet)`);
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
  return out;
}

/** A CSV whose line 4 is `mb` MB long, written in 1 MB chunks (never held in memory whole). */
function hugeLine(path: string, mb: number, before: string[] = goodLines().slice(0, 3)): string {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, `${before.join('\n')}\n536999,X,`);
    const chunk = Buffer.alloc(1024 * 1024, 'A');
    for (let i = 0; i < mb; i++) writeSync(fd, chunk);
    writeSync(fd, ',1,1/1/2011 8:00,1.00,12346,United Kingdom\n');
  } finally {
    closeSync(fd);
  }
  return path;
}

const CASES: Case[] = [
  { name: 'the clean export (baseline)', file: fixture('good.csv'), expect: SAME_AS_GOOD },
  {
    name: 'empty file',
    file: fixture('empty.csv'),
    expect: fails(65, 'INVALID_INPUT', /empty\.csv is empty \(0 bytes\)/),
  },
  {
    name: 'header only',
    file: fixture('header-only.csv'),
    expect: fails(65, 'INVALID_INPUT', /header-only\.csv has a header but no data rows/),
  },
  {
    name: 'missing columns',
    file: fixture('missing-columns.csv'),
    expect: fails(
      65,
      'INVALID_INPUT',
      /missing-columns\.csv: missing required column\(s\): customer, price\. Columns found: InvoiceNo, /,
    ),
  },
  {
    name: 'wrong delimiter (#)',
    file: fixture('wrong-delimiter.csv'),
    expect: fails(65, 'INVALID_INPUT', new RegExp(`wrong-delimiter\\.csv: the file ${ONE_COLUMN.source}`)),
  },
  { name: 'semicolon delimiter (sniffed)', file: fixture('semicolon.csv'), expect: SAME_AS_GOOD },
  {
    name: 'rows with differing numbers of fields',
    file: fixture('ragged.csv'),
    expect: fails(65, 'INVALID_INPUT', new RegExp(`ragged\\.csv: the file ${ONE_COLUMN.source}`)),
  },
  {
    name: 'a quote never closed',
    file: fixture('unclosed-quote.csv'),
    expect: fails(65, 'INVALID_INPUT', /unclosed-quote\.csv: .*close every quote/),
  },
  {
    name: 'non-UTF-8 bytes (Latin-1)',
    file: fixture('latin1.csv'),
    // read as Windows-1252 (detected), converted to UTF-8 on the way in
    expect: SAME_AS_GOOD,
  },
  { name: 'UTF-8 BOM', file: fixture('bom.csv'), expect: SAME_AS_GOOD },
  { name: 'CRLF line ends', file: fixture('crlf.csv'), expect: SAME_AS_GOOD },
  { name: 'quoted newlines in a text field', file: fixture('quoted-newlines.csv'), expect: SAME_AS_GOOD },
  {
    name: 'NUL bytes inside a text field',
    file: (dir) => {
      const g = goodCsv();
      const at = g.indexOf('WHITE HANGING') + 5;
      return write(join(dir, 'nul-bytes.csv'), Buffer.concat([g.subarray(0, at), Buffer.alloc(64, 0), g.subarray(at)]));
    },
    expect: SAME_AS_GOOD,
  },
  {
    name: 'unparsable dates in 5 rows',
    file: fixture('bad-dates.csv'),
    expect: { ok: true, dropped: { unparsable_date: 5 }, kept: 37, customers: 11 },
  },
  {
    name: 'no parsable date at all',
    file: fixture('all-bad-dates.csv'),
    expect: fails(
      65,
      'INVALID_INPUT',
      /all-bad-dates\.csv: cannot recognise the dates in column InvoiceDate \(e\.g\. "yesterday"\)/,
    ),
  },
  {
    name: 'non-numeric, non-finite and negative quantities and prices',
    file: fixture('bad-values.csv'),
    expect: {
      ok: true,
      dropped: { unparsable_quantity: 2, quantity_not_positive: 2, unparsable_price: 2, price_not_positive: 1 },
      kept: 35,
      customers: 10,
    },
  },
  {
    name: 'a quantity of 1e300 (amount beyond DECIMAL(38, 6))',
    file: fixture('huge-quantity.csv'),
    expect: fails(65, 'INVALID_INPUT', /huge-quantity\.csv: Conversion Error: Could not cast value/),
  },
  {
    name: 'every quantity negative',
    file: fixture('all-bad-values.csv'),
    expect: fails(
      65,
      'INVALID_INPUT',
      /all-bad-values\.csv: no usable rows: all 42 rows were dropped \(quantity_not_positive 42 \(line 2 "-1", line 3 "-1", line 4 "-1"\)\)/,
    ),
  },
  {
    name: 'gzip cut short mid-stream',
    file: (dir) => {
      const gz = gzipSync(goodCsv());
      return write(join(dir, 'truncated.csv.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
    },
    expect: fails(65, 'INVALID_INPUT', /truncated\.csv\.gz is not a whole gzip file \(unexpected end of file\)/),
  },
  {
    // the dangerous one: DuckDB reads this as a valid export of the first 19 rows
    name: 'gzip cut short exactly at a line boundary',
    file: async (dir) => {
      const z = createGzip();
      const parts: Buffer[] = [];
      z.on('data', (c: Buffer) => parts.push(c));
      z.write(`${goodLines().slice(0, 20).join('\n')}\n`);
      await new Promise<void>((r) => z.flush(constants.Z_FULL_FLUSH, () => r()));
      return write(join(dir, 'cut-at-line.csv.gz'), Buffer.concat(parts));
    },
    expect: fails(65, 'INVALID_INPUT', /cut-at-line\.csv\.gz is not a whole gzip file/),
  },
  {
    name: 'plain CSV named .csv.gz',
    file: (dir) => write(join(dir, 'not-gzip.csv.gz'), goodCsv()),
    expect: fails(65, 'INVALID_INPUT', /not-gzip\.csv\.gz is not a whole gzip file \(incorrect header check\)/),
  },
  {
    name: 'gzip named .csv',
    file: (dir) => write(join(dir, 'gzipped.csv'), gzipSync(goodCsv())),
    expect: fails(
      65,
      'INVALID_INPUT',
      /gzipped\.csv cannot be read as a CSV export: it is gzip-compressed: name it \.csv\.gz/,
    ),
  },
  {
    name: 'random bytes named .csv',
    file: (dir) => write(join(dir, 'random.csv'), noise(20_000)),
    expect: fails(65, 'INVALID_INPUT', /random\.csv/),
  },
  {
    name: 'random bytes named .parquet',
    file: (dir) => write(join(dir, 'random.parquet'), noise(20_000, 7)),
    expect: fails(65, 'INVALID_INPUT', /random\.parquet: .*No magic bytes found/),
  },
  {
    name: 'Parquet: dates stored as integers (20110101)',
    file: (dir) =>
      parquet(
        dir,
        'int-dates.parquet',
        `SELECT InvoiceNo, CAST(Quantity AS INTEGER) AS Quantity, CAST(strftime(strptime(InvoiceDate, '%m/%d/%Y %H:%M'), '%Y%m%d') AS INTEGER) AS InvoiceDate, CAST(UnitPrice AS DOUBLE) AS UnitPrice, CAST(CustomerID AS DOUBLE) AS CustomerID FROM $SRC`,
      ),
    expect: fails(
      65,
      'INVALID_INPUT',
      /int-dates\.parquet: cannot recognise the dates in column InvoiceDate \(e\.g\. "20110101"\)/,
    ),
  },
  {
    name: 'Parquet: quantity as text, price as boolean',
    file: (dir) =>
      parquet(
        dir,
        'text-bool.parquet',
        `SELECT InvoiceNo, 'many' AS Quantity, strptime(InvoiceDate, '%m/%d/%Y %H:%M') AS InvoiceDate, UnitPrice::DOUBLE > 2 AS UnitPrice, CustomerID FROM $SRC`,
      ),
    expect: fails(
      65,
      'INVALID_INPUT',
      /text-bool\.parquet: no usable rows: all 42 rows were dropped \(unparsable_quantity 42 \(row 1 "many", row 2 "many", row 3 "many"\)\)/,
    ),
  },
  {
    name: 'Parquet: NaN, Infinity and negative doubles',
    file: (dir) =>
      parquet(
        dir,
        'nan-inf.parquet',
        `SELECT InvoiceNo, CASE WHEN n % 5 = 0 THEN 'NaN'::DOUBLE WHEN n % 7 = 0 THEN -2 ELSE Quantity::DOUBLE END AS Quantity, strptime(InvoiceDate, '%m/%d/%Y %H:%M') AS InvoiceDate,
                CASE WHEN n % 11 = 0 THEN 'inf'::DOUBLE ELSE UnitPrice::DOUBLE END AS UnitPrice, CustomerID::BIGINT AS CustomerID
           FROM (SELECT *, row_number() OVER () AS n FROM $SRC)`,
      ),
    expect: {
      ok: true,
      dropped: { unparsable_quantity: 8, quantity_not_positive: 5, unparsable_price: 3 },
      kept: 26,
      customers: 11,
    },
  },
  {
    name: 'Parquet: other but usable types (DOUBLE quantity, DECIMAL price, BIGINT customer, TIMESTAMP date)',
    file: (dir) =>
      parquet(
        dir,
        'typed.parquet',
        `SELECT InvoiceNo, CAST(Quantity AS DOUBLE) AS Quantity, strptime(InvoiceDate, '%m/%d/%Y %H:%M') AS InvoiceDate, CAST(UnitPrice AS DECIMAL(10,2)) AS UnitPrice, CAST(CustomerID AS BIGINT) AS CustomerID FROM $SRC`,
      ),
    expect: SAME_AS_GOOD,
  },
  {
    name: `a ${LINE_MB} MB line`,
    file: (dir) => hugeLine(join(dir, 'huge-line.csv'), LINE_MB),
    expect: fails(65, 'INVALID_INPUT', /huge-line\.csv: line 4 is longer than 2,000,000 bytes/),
  },
  {
    name: `a ${LINE_MB} MB line, gzipped`,
    file: (dir) =>
      write(
        join(dir, 'huge-line.csv.gz'),
        gzipSync(readFileSync(hugeLine(join(dir, 'huge-line-src.csv'), Math.min(LINE_MB, 256)))),
      ),
    expect: fails(65, 'INVALID_INPUT', /huge-line\.csv\.gz: line 4 is longer than 2,000,000 bytes/),
  },
  {
    name: 'a 3 MB line after 17 MB of good rows (found by the full pass, DuckDB interrupted)',
    file: (dir) => {
      const lines = goodLines();
      const rows = lines.slice(1);
      const body: string[] = [lines[0]!];
      for (let size = 0, i = 0; size < 17 * 1024 * 1024; i++) {
        const r = rows[i % rows.length]!;
        body.push(r);
        size += r.length + 1;
      }
      return hugeLine(join(dir, 'late-long-line.csv'), 3, body);
    },
    expect: fails(65, 'INVALID_INPUT', /late-long-line\.csv: line \d{6,} is longer than 2,000,000 bytes/),
  },
  {
    // file name and column names reach DuckDB's SQL: quoted as literals and identifiers, never spliced
    name: `quotes and SQL in the file name and in a mapped column name`,
    file: (dir) => {
      const text = goodCsv().toString('utf8').replace('CustomerID', 'Customer"; DROP TABLE rfm_inv; --');
      return write(join(dir, `it's "odd"; DROP TABLE x.csv`), Buffer.from(text));
    },
    columns: { customer: 'Customer"; DROP TABLE rfm_inv; --' },
    expect: SAME_AS_GOOD,
  },
  {
    name: 'a file that does not exist',
    file: (dir) => join(dir, 'nope.csv'),
    expect: fails(66, 'NOT_FOUND', /export not found: .*nope\.csv/),
  },
  {
    name: 'a directory',
    file: (dir) => mkdirp(join(dir, 'a-folder.csv')),
    expect: fails(65, 'INVALID_INPUT', /a-folder\.csv is not a file/),
  },
  {
    name: 'an unsupported file type',
    file: (dir) => write(join(dir, 'export.xls'), noise(100)),
    expect: fails(65, 'UNSUPPORTED', /unsupported file type "export\.xls"/),
  },
  {
    name: 'random bytes named .xlsx',
    file: (dir) => write(join(dir, 'export.xlsx'), noise(100)),
    expect: fails(65, 'INVALID_INPUT', /export\.xlsx is not a readable \.xlsx workbook/),
  },
  // Exports as shops really hand them over: generated shapes of one made-up shop's
  // 98 order lines, 46 orders, 14 customers (ingest/src/test-support/shapes.ts)
  ...(['mixed-newlines', 'utf16', 'windows-1252', 'utc-offsets'] as const).map(
    (shape): Case => ({
      name: `shop export: ${shape}`,
      file: async (dir) => (await writeShape(dir, shape)).file,
      expect: { ok: true, dropped: {}, kept: 98, customers: 14 },
    }),
  ),
  {
    name: 'shop export: no invoice column (one row per order)',
    file: async (dir) => (await writeShape(dir, 'no-invoice')).file,
    expect: { ok: true, dropped: {}, kept: 46, customers: 14 },
  },
  {
    name: 'shop export: European (Windows-1252, ;, decimal commas, € signs, dotted dates)',
    columns: { customer: 'Kunde', invoice: 'Rechnung', date: 'Datum', quantity: 'Menge', price: 'Einzelpreis' },
    file: async (dir) => (await writeShape(dir, 'european')).file,
    expect: { ok: true, dropped: {}, kept: 98, customers: 14 },
  },
  {
    name: 'shop export: Shopify orders (refunded and cancelled orders)',
    file: async (dir) => (await writeShape(dir, 'shopify')).file,
    expect: { ok: true, dropped: { cancelled: 2 }, kept: 98, customers: 14 },
  },
  {
    name: 'shop export: WooCommerce orders (cancelled, refunded, failed)',
    file: async (dir) => (await writeShape(dir, 'woocommerce')).file,
    expect: { ok: true, dropped: { cancelled: 3 }, kept: 46, customers: 14 },
  },
  {
    name: 'shop export: xlsx whose first sheet is not the data',
    file: async (dir) => (await writeShape(dir, 'xlsx')).file,
    expect: fails(65, 'INVALID_INPUT', /export\.xlsx: missing required column\(s\): customer, date, quantity, price/),
  },
  {
    name: 'numbers whose decimal mark cannot be told (1,250)',
    file: (dir) =>
      write(
        join(dir, 'ambiguous.csv'),
        Buffer.from('InvoiceNo,InvoiceDate,Quantity,UnitPrice,CustomerID\n1,12/9/2011 10:00,1,"1,250",A\n'),
      ),
    expect: fails(
      65,
      'INVALID_INPUT',
      /ambiguous\.csv: cannot tell the decimal mark of Quantity, UnitPrice: .*--decimal ,/,
    ),
  },
  {
    name: 'mixed line ends and a short row: the line is named',
    file: (dir) =>
      write(
        join(dir, 'short-row.csv'),
        Buffer.from(`${goodLines()[0]}\n${goodLines().slice(1, 6).join('\r\n')}\r\n536999,X,SHORT\r\n`),
      ),
    expect: fails(
      65,
      'INVALID_INPUT',
      /short-row\.csv: cannot read the CSV: tried DuckDB's dialect sniffer; then delimiter "," from the header line.*line 7 looks wrong: it has 3 fields where the header has 8/,
    ),
  },
];

function write(path: string, bytes: Buffer): string {
  writeFileSync(path, bytes);
  return path;
}
function mkdirp(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}

/** Run tasks at most `n` at a time (each `rfm train` is its own process). */
async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

describe('hostile exports through `rfm train` (real CLI processes)', function () {
  this.timeout(600_000);
  let tmp: ReturnType<typeof tempDir>;
  let baseline: string;
  const results = new Map<
    string,
    { code: number; stdout: string; stderr: string; registry: string; ms: number; trained?: TrainResult }
  >();

  before(async () => {
    tmp = tempDir('rfm-hostile-');
    const okQueue: (() => Promise<void>)[] = [];
    // every case trains into its own copy of a registry that already holds v1 (production)
    baseline = join(tmp.dir, 'baseline.db');
    const reg = await Registry.open(baseline);
    await reg.register({ modelName: MODEL, artifact: makeArtifact(), actor: 'baseline' });
    reg.sqliteForTests().pragma('wal_checkpoint(TRUNCATE)');
    await reg.close();
    await pool(CASES, 3, async (c) => {
      const dir = join(tmp.dir, c.name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60));
      mkdirSync(dir, { recursive: true });
      const registry = join(dir, 'registry.db');
      copyFileSync(baseline, registry);
      const file = await c.file(dir);
      const t0 = Date.now();
      if (c.expect.ok) {
        // in this process (one at a time: train() is not re-entrant on the tfjs backend)
        okQueue.push(async () => {
          const trained = await train(
            { exportPath: file },
            {
              registryPath: registry,
              modelName: MODEL,
              actor: 'hostile-test',
              k: 2,
              nInit: 1,
              seed: 1,
              backend: 'cpu',
              ...(c.columns ? { columns: c.columns } : {}),
            },
          );
          results.set(c.name, { code: 0, stdout: '', stderr: '', registry, ms: Date.now() - t0, trained });
        });
        return;
      }
      const r = await rfm(
        ['train', file, '--registry', registry, '--k', '2', '--n-init', '1', '--seed', '1', '--json'],
        { RFM_TF_BACKEND: 'cpu' },
        240_000,
      );
      results.set(c.name, { ...r, registry, ms: Date.now() - t0 });
    });
    for (const job of okQueue) await job();
  });
  after(() => tmp?.cleanup());

  for (const c of CASES) {
    it(`${c.name}: ${
      c.expect.ok
        ? `train() registers v2, ${
            Object.entries(c.expect.dropped)
              .map(([k, n]) => `${n} ${k}`)
              .join(', ') || 'nothing dropped'
          }`
        : `exit ${c.expect.exit} ${c.expect.code}`
    }`, async () => {
      const r = results.get(c.name)!;
      const where = `rfm train exited ${r.code} after ${r.ms} ms\nstderr: ${r.stderr.slice(0, 1500)}\nstdout: ${r.stdout.slice(0, 500)}`;
      // never a crash: no stack trace, one readable line per problem
      expect(r.stderr, where).to.not.match(/^\s+at .+:\d+:\d+\)?$/m);
      expect(r.stderr, where).to.not.match(/INTERNAL|Segmentation|Aborted|core dumped/);
      const audit = auditRegistry(r.registry);
      expect(audit.integrity, where).to.equal('ok');
      expect(audit.orphans, where).to.equal(0);
      if (!c.expect.ok) {
        expect(r.code, where).to.equal(c.expect.exit);
        expect(r.stderr, where).to.match(new RegExp(`^rfm: ${c.expect.code}: `));
        expect(r.stderr, where).to.match(c.expect.message);
        const body = JSON.parse(r.stdout) as { error: { code: string; message: string } };
        expect(body.error.code).to.equal(c.expect.code);
        // nothing registered: the registry still holds only the baseline version
        expect(audit.versions, where).to.deep.equal([1]);
        return;
      }
      const out = r.trained!;
      expect(out.version).to.equal(2);
      const dropped = Object.fromEntries(Object.entries(out.data.rows_dropped).filter(([, n]) => n > 0));
      expect(dropped, where).to.deep.equal(c.expect.dropped);
      expect(out.data.rows_kept).to.equal(c.expect.kept);
      expect(out.data.rows_read).to.equal(c.expect.kept + Object.values(c.expect.dropped).reduce((a, b) => a + b, 0));
      expect(out.data.customers).to.equal(c.expect.customers);
      // what was registered is exactly what was reported: built from the kept rows only
      expect(audit.versions).to.deep.equal([1, 2]);
      const reg = await Registry.openReadOnly(r.registry);
      try {
        const v = await reg.get(MODEL, 2);
        expect(v.data.rows_kept).to.equal(c.expect.kept);
        expect(v.data.customers).to.equal(c.expect.customers);
        expect((await reg.features(MODEL, 2))?.cids).to.have.length(c.expect.customers);
        expect((await reg.verify(MODEL)).every((x) => x.ok)).to.equal(true);
      } finally {
        await reg.close();
      }
    });
  }
});

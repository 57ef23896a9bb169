import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readExport } from './export-reader.js';
import { LineLengths } from './source.js';
import { UCI_HEADER } from './test-support/fixtures.js';

/**
 * A gzip export is planned (dialect, layout, number formats) on its first 2 MB while the rest is
 * inflated. Each case reads the same text as plain CSV (always planned on the whole file) and
 * gzipped, and compares: the sample must never change an answer, only when it is ready.
 */
describe('gzip exports planned on their start (PLAN_SAMPLE_BYTES)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rfm-plan-sample-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** ~3.5 MB of UCI rows (35,000): 400 customers, some rows cancelled or without a customer. */
  function rows(n: number, sep = ',', price: (i: number) => string = (i) => `${(1 + (i % 7)) * 1.25}`): string[] {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const inv = i % 97 === 0 ? `C${540000 + Math.floor(i / 3)}` : `${540000 + Math.floor(i / 3)}`;
      const cust = i % 53 === 0 ? '' : `${12000 + (i % 400)}`;
      const date = `${1 + (i % 12)}/${1 + (i % 28)}/2011 ${8 + (i % 10)}:${String(i % 60).padStart(2, '0')}`;
      const description = `"WHITE HANGING HEART T-LIGHT HOLDER${sep} ${i}"`;
      out.push([inv, 20000 + (i % 500), description, 1 + (i % 5), date, price(i), cust, 'United Kingdom'].join(sep));
    }
    return out;
  }

  async function both(name: string, text: string) {
    const plain = join(dir, `${name}.csv`);
    const gz = join(dir, `${name}.csv.gz`);
    writeFileSync(plain, text);
    writeFileSync(gz, gzipSync(text));
    const planned: string[] = [];
    const settle = <T>(p: Promise<T>) =>
      p.then(
        (v) => ({ ok: v }),
        (e: Error) => ({ error: e.message }),
      );
    const a = await settle(readExport(plain));
    const b = await settle(readExport(gz, {}, { onPlanned: (on) => planned.push(on) }));
    return { a, b, planned, bytes: Buffer.byteLength(text) };
  }

  const comparable = (r: Awaited<ReturnType<typeof readExport>>) => ({
    cids: r.table.cids,
    raw: Array.from(r.table.raw),
    summary: { ...r.summary, source: undefined, reader: { ...r.summary.reader, encoding: undefined } },
  });

  it('reads a large gzip export exactly as the same text uncompressed, planned on the sample', async () => {
    const { a, b, planned, bytes } = await both('large', `${UCI_HEADER}\n${rows(35_000).join('\n')}\n`);
    expect(bytes).to.be.greaterThan(3 << 20);
    expect(planned).to.deep.equal(['sample']);
    if (!('ok' in a) || !('ok' in b)) throw new Error(`read failed: ${JSON.stringify({ a, b })}`);
    expect(a.ok.summary.customers).to.equal(400);
    expect(a.ok.summary.rows_read).to.equal(35_000);
    expect(comparable(b.ok)).to.deep.equal(comparable(a.ok));
  });

  it('decides decimal commas on the sample as on the whole file', async () => {
    const body = rows(35_000, ';', (i) => `${(1 + (i % 7)) * 1.25} €`.replace('.', ','));
    const text = `${UCI_HEADER.replaceAll(',', ';')}\n${body.join('\n')}\n`;
    const { a, b, planned } = await both('comma', text);
    expect(planned).to.deep.equal(['sample']);
    if (!('ok' in a) || !('ok' in b)) throw new Error(`read failed: ${JSON.stringify({ a, b })}`);
    expect(a.ok.summary.reader?.notes.join(' ')).to.match(/decimal comma/);
    expect(a.ok.summary.rows_kept).to.be.greaterThan(30_000);
    expect(comparable(b.ok)).to.deep.equal(comparable(a.ok));
  });

  it('plans on the whole file again when the rest does not read as the start did, and says the same', async () => {
    // an unterminated quote 3 MB in: the sample reads well, the file does not
    const body = rows(35_000);
    body[32_000] = `${body[32_000]!.slice(0, 20)}"broken`;
    const { a, b, planned } = await both('broken', `${UCI_HEADER}\n${body.join('\n')}\n`);
    expect(planned).to.deep.equal(['sample', 'file']);
    if (!('error' in a) || !('error' in b)) throw new Error(`expected both reads to fail: ${JSON.stringify({ a, b })}`);
    expect(b.error.replaceAll('broken.csv.gz', 'broken.csv')).to.equal(a.error);
  });

  it('reads line ends that change past the start (\\r\\n, then \\n) plain and gzipped, alike', async () => {
    // DuckDB's sniffer sees only \r\n; the file pass sees both kinds, and the read retries on a copy
    const body = rows(35_000);
    const text = `${UCI_HEADER}\r\n${body.slice(0, 30_000).join('\r\n')}\r\n${body.slice(30_000).join('\n')}\n`;
    const { a, b } = await both('mixed', text);
    if (!('ok' in a) || !('ok' in b)) throw new Error(`read failed: ${JSON.stringify({ a, b })}`);
    expect(a.ok.summary.rows_read).to.equal(35_000);
    expect(a.ok.summary.reader?.dialect).to.match(/line ends normalised/);
    expect(comparable(b.ok)).to.deep.equal(comparable(a.ok));
    // the same rows with one kind of line end throughout read to the same table
    const plain = join(dir, 'unmixed.csv');
    writeFileSync(plain, `${UCI_HEADER}\n${body.join('\n')}\n`);
    const c = await readExport(plain);
    expect(c.summary.reader?.dialect).to.equal(undefined);
    expect(comparable(c).cids).to.deep.equal(comparable(a.ok).cids);
    expect(comparable(c).raw).to.deep.equal(comparable(a.ok).raw);
  });
});

describe('line-end kinds over chunks (LineLengths.mixed)', () => {
  const mixed = (...chunks: string[]) => {
    const l = new LineLengths();
    for (const c of chunks) l.feed(Buffer.from(c));
    return l.mixed;
  };
  it('sees one kind as one kind, wherever the chunks split', () => {
    expect(mixed('a\r\nb\r\n')).to.equal(false);
    expect(mixed('a\r', '\nb\r', '\n')).to.equal(false);
    expect(mixed('a\nb\n', 'c\n')).to.equal(false);
    expect(mixed('a\rb\r', 'c\r')).to.equal(false);
    expect(mixed('a\r\n', '\nb')).to.equal(true); // \r\n, then a \n alone (an empty line)
  });
  it('sees two kinds, also across a chunk boundary', () => {
    expect(mixed('a\r\nb\nc')).to.equal(true);
    expect(mixed('a\r\n', 'b\nc')).to.equal(true);
    expect(mixed('a\r', 'b\r\n')).to.equal(true);
    expect(mixed('a\n', 'b\r')).to.equal(true); // a trailing \r alone is a kind too
    expect(mixed('a\r', '\n', 'b\r', 'c')).to.equal(true);
  });
});

/** A broken row far into a large export: DuckDB's threads read ahead, and the first rows are read again in order. */
describe('a broken row far into a large export', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rfm-broken-far-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a broken quote 130,000 rows in: refused naming its line, plain and gzipped alike', async () => {
    const lines = [UCI_HEADER];
    for (let i = 0; i < 140_000; i++)
      lines.push(
        `${560000 + (i >> 2)},22000,"LANTERN, ${i}",2,12/${1 + (i % 28)}/2011 10:00,1.25,${13000 + (i % 900)},UK`,
      );
    lines[130_000] = `${lines[130_000]!.slice(0, 30)}"broken`;
    const file = join(dir, 'broken-large.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    writeFileSync(`${file}.gz`, gzipSync(readFileSync(file)));
    const fail = (p: Promise<unknown>) =>
      p.then(
        () => 'read',
        (e: Error) => e.message,
      );
    const plain = await fail(readExport(file));
    const zipped = await fail(readExport(`${file}.gz`));
    expect(plain).to.match(/cannot read the CSV: .*line 130001 looks wrong/);
    expect(zipped.replaceAll('broken-large.csv.gz', 'broken-large.csv')).to.equal(plain);
  });
});

import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RfmError } from '@rfm/shared';
import { parseColumnMapping } from './columns.js';
import { readExport, type ImportOptions } from './export-reader.js';
import { type ExpectedRfm, SHAPES, shopOrders, toWindows1252, writeShape } from './test-support/shapes.js';

/** `--columns …` / `--sheet …` flags of a shape → reader options. */
function optionsOf(flags: string[]): ImportOptions {
  const o: ImportOptions = {};
  for (let i = 0; i < flags.length; i += 2) {
    if (flags[i] === '--columns') o.columns = parseColumnMapping(flags[i + 1]!);
    if (flags[i] === '--sheet') o.sheet = flags[i + 1]!;
  }
  return o;
}

function expectTable(r: Awaited<ReturnType<typeof readExport>>, e: ExpectedRfm) {
  expect(r.table.cids).to.deep.equal(e.cids);
  expect(r.summary.snapshot_date).to.equal(e.snapshot);
  for (let i = 0; i < e.cids.length; i++) {
    const at = `customer ${e.cids[i]}`;
    expect(r.table.raw[i * 3], `${at} recency`).to.equal(e.recency[i]);
    expect(r.table.raw[i * 3 + 1], `${at} frequency`).to.equal(e.frequency[i]);
    expect(r.table.raw[i * 3 + 2], `${at} monetary`).to.be.closeTo(e.monetary[i]!, 1e-6);
  }
}

async function rejects(p: Promise<unknown>): Promise<RfmError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(RfmError);
    return e as RfmError;
  }
  throw new Error('expected a rejection');
}

describe('exports as shops hand them over (generated shapes of one shop)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rfm-shapes-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const shape of SHAPES)
    it(`${shape}: the same RFM table as worked out from the orders`, async () => {
      const w = await writeShape(dir, shape);
      const r = await readExport(w.file, optionsOf(w.flags));
      expectTable(r, w.expected);
      expect(r.summary.rows_dropped.unparsable_date ?? 0, 'no date lost').to.equal(0);
    });

  it('no invoice column: frequency counts distinct purchase days, and says so', async () => {
    const w = await writeShape(dir, 'no-invoice');
    const r = await readExport(w.file);
    expect(r.summary.frequency_basis).to.equal('days');
    expect(r.summary.frequency_note).to.equal('frequency = distinct purchase days: the export has no invoice column');
    expect(r.summary.rows_dropped).to.not.have.property('missing_invoice');
    const rows = await readExport(w.file, { frequency: 'rows' });
    expect(rows.summary.frequency_basis).to.equal('rows');
    const e = await rejects(readExport(w.file, { frequency: 'invoices' }));
    expect(e.message).to.match(/--frequency invoices needs an invoice column, and the export has none/);
  });

  it('--frequency days on an export with invoices counts days, not invoices', async () => {
    const lines = shopOrders();
    const w = await writeShape(dir, 'uci', lines);
    const r = await readExport(w.file, { frequency: 'days' });
    expect(r.summary.frequency_note).to.equal('frequency = distinct purchase days (--frequency)');
    const { expectedRfm } = await import('./test-support/shapes.js');
    expectTable(r, expectedRfm(lines, 'days'));
  });

  it('says which encoding was used: BOM, detected Windows-1252, UTF-16, or --encoding', async () => {
    const enc = async (s: (typeof SHAPES)[number], o: ImportOptions = {}) =>
      (await readExport((await writeShape(dir, s)).file, o)).summary.reader?.encoding;
    expect(await enc('utf8-bom')).to.equal('utf-8 with BOM (byte-order mark)');
    expect(await enc('windows-1252')).to.equal('windows-1252 (detected)');
    expect(await enc('utf16')).to.equal('utf-16le with BOM (byte-order mark)');
    expect(await enc('uci', { encoding: 'latin-1' })).to.equal('windows-1252 (--encoding)');
  });

  it('Windows-1252: € and accents survive into customer ids', async () => {
    const f = join(dir, 'cp1252-ids.csv');
    writeFileSync(
      f,
      toWindows1252(
        'InvoiceNo,InvoiceDate,Quantity,UnitPrice,CustomerID\n1,12/9/2011 10:00,1,2.50,Müller€\n2,12/9/2011 11:00,1,1.00,Zoë\n',
      ),
    );
    const r = await readExport(f);
    expect(r.table.cids).to.deep.equal(['Müller€', 'Zoë']);
  });

  it('UTF-8 at the start, Windows-1252 far into the file: read again as Windows-1252', async () => {
    const head = 'InvoiceNo,InvoiceDate,Quantity,UnitPrice,CustomerID\n';
    const plain = Array.from({ length: 30_000 }, (_, i) => `${i},12/9/2011 10:00,1,2.50,C${i % 50}`).join('\n');
    const f = join(dir, 'late-latin1.csv');
    writeFileSync(f, Buffer.concat([Buffer.from(head + plain), toWindows1252('\n99999,12/9/2011 10:00,1,2.50,Zoë\n')]));
    const r = await readExport(f);
    expect(r.summary.reader?.encoding).to.equal('windows-1252 (detected: not UTF-8 further on)');
    expect(r.table.cids).to.include('Zoë');
  });

  it('mixed line ends: DuckDB sniffer gives up, rfm reads the header’s delimiter and says so', async () => {
    const r = await readExport((await writeShape(dir, 'mixed-newlines')).file);
    expect(r.summary.reader?.dialect).to.equal(
      'delimiter "," (from the header line; DuckDB\'s sniffer gave up), line ends normalised',
    );
  });

  it('a dialect failure says what was tried and which line looks wrong', async () => {
    const f = join(dir, 'bad-line.csv');
    const rows = Array.from({ length: 40 }, (_, i) => `${i},12/9/2011 10:00,1,2.50,C${i}\r\n`).join('');
    writeFileSync(f, `InvoiceNo,InvoiceDate,Quantity,UnitPrice,CustomerID\n${rows}41,12/9/2011 10:00,1,2.50\r\n`);
    const e = await rejects(readExport(f));
    expect(e.message).to.match(
      /bad-line\.csv: cannot read the CSV: tried DuckDB's dialect sniffer; then delimiter "," from the header line/,
    );
    expect(e.message).to.match(
      /line 42 looks wrong: it has 4 fields where the header has 5: "41,12\/9\/2011 10:00,1,2.50"/,
    );
  });

  it('European numbers: decimal comma, thousands points and € detected; ambiguous commas ask for --decimal', async () => {
    const w = await writeShape(dir, 'european');
    const r = await readExport(w.file, optionsOf(w.flags));
    expect(r.summary.reader?.notes[0]).to.match(/^numbers: decimal comma \(detected\); Menge, Einzelpreis cleaned/);
    expect(r.summary.reader?.date_format).to.equal('%d.%m.%Y %H:%M');
    const f = join(dir, 'ambiguous.csv');
    writeFileSync(
      f,
      'InvoiceNo,InvoiceDate,Quantity,UnitPrice,CustomerID\n1,12/9/2011 10:00,1,"1,250",A\n2,12/9/2011 10:00,2,"2,500",B\n',
    );
    const e = await rejects(readExport(f));
    expect(e.message).to.equal(
      'ambiguous.csv: cannot tell the decimal mark of Quantity, UnitPrice: "1,250" reads as 1250 with a thousands comma or as 1.250 with a decimal comma; pass --decimal , (decimal comma) or --decimal . (decimal point)',
    );
    const comma = await readExport(f, { decimal: ',' });
    expect([...comma.table.raw]).to.deep.equal([1, 1, 1.25, 1, 1, 5]);
    const point = await readExport(f, { decimal: '.' });
    expect(point.table.raw[2]).to.equal(1250);
  });

  it('UTC offsets: the calendar day written in the export counts, not the UTC day', async () => {
    const f = join(dir, 'late-evening.csv');
    writeFileSync(
      f,
      'InvoiceNo,InvoiceDate,Quantity,UnitPrice,CustomerID\n1,2011-12-09T23:50:00-05:00,1,2.50,A\n2,2011-12-01 12:50:00 +0000,1,1.00,B\n',
    );
    const r = await readExport(f);
    expect(r.summary.last_invoice).to.equal('2011-12-09T23:50:00');
    expect(r.summary.snapshot_date).to.equal('2011-12-10');
    expect([...r.table.raw]).to.deep.equal([1, 1, 2.5, 9, 1, 1]);
  });

  it('Shopify: recognised by header, refunded and cancelled orders dropped as cancelled', async () => {
    const r = await readExport((await writeShape(dir, 'shopify')).file);
    expect(r.summary.reader?.layout).to.match(/^Shopify orders export: customer = Email, order = Name/);
    expect(r.summary.rows_dropped.cancelled).to.equal(2);
    expect(r.summary.rejected_samples?.cancelled?.map((s) => s.value)).to.deep.equal(['#9001', '#9002']);
  });

  it('WooCommerce: recognised by header, cancelled, refunded and failed orders dropped', async () => {
    const r = await readExport((await writeShape(dir, 'woocommerce')).file);
    expect(r.summary.reader?.layout).to.match(
      /^WooCommerce order export \(order-export plugin layout\): customer = customer_email/,
    );
    expect(r.summary.rows_dropped.cancelled).to.equal(3);
  });

  it('xlsx: the first sheet by default, --sheet NAME, and an unknown sheet named with the ones there', async () => {
    const w = await writeShape(dir, 'xlsx');
    const r = await readExport(w.file, { sheet: 'Transactions' });
    expect(r.summary.source.format).to.equal('xlsx');
    expect(r.summary.reader?.notes[0]).to.match(/^sheet "Transactions" of 2 \(\d+ rows\)$/);
    const first = await rejects(readExport(w.file));
    expect(first.message).to.match(
      /export\.xlsx: missing required column\(s\): customer, date, quantity, price\. Columns found: exported for rfm tests/,
    );
    const none = await rejects(readExport(w.file, { sheet: 'Sales' }));
    expect(none.message).to.equal('export.xlsx has no sheet "Sales"; its sheets: "Notes", "Transactions"');
  });
});

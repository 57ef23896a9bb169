import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { LoadedModel } from '@rfm/registry';
import type { ArtifactV1 } from '@rfm/shared';
import { makeArtifact } from '@rfm/shared/testing';
import { DUCK_SHARE, FILE_PASS_SHARE, readingProgress } from './read-progress.js';
import { scoreExport } from './score-export.js';
import type { RunProgress } from './types.js';

describe('reading progress', () => {
  it('file pass 0–40 %, then DuckDB 40–70 %; rows are complete lines minus the header; never goes back', () => {
    const half = readingProgress({ file: { bytes: 50, totalBytes: 100, lines: 1001 }, duckBest: 80 }, null);
    // DuckDB's figure is ignored until rfm's own pass is through (only its sniffing runs before)
    expect(half).to.deep.equal({ phase: 'reading', rowsRead: 1000, percent: FILE_PASS_SHARE / 2 });
    const done = readingProgress({ file: { bytes: 100, totalBytes: 100, lines: 2001 }, duckBest: 50 }, half);
    expect(done).to.deep.equal({ phase: 'reading', rowsRead: 2000, percent: FILE_PASS_SHARE + DUCK_SHARE / 2 });
    expect(readingProgress({ file: { bytes: 100, totalBytes: 100, lines: 2001 }, duckBest: -1 }, done)).to.deep.equal(
      done,
    );
    // Parquet: the pass hashes bytes but counts no lines, so rows stay 0 until the phase boundary
    expect(readingProgress({ file: { bytes: 10, totalBytes: 10 }, duckBest: 100 }, null)).to.deep.equal({
      phase: 'reading',
      rowsRead: 0,
      percent: FILE_PASS_SHARE + DUCK_SHARE,
    });
    // before the pass's first chunk: DuckDB's own share only
    expect(readingProgress({ duckBest: 100 }, null).percent).to.equal(DUCK_SHARE);
  });
});

describe('scoreExport reports rows read while reading', function () {
  this.timeout(120_000);
  let dir: string;
  const ROWS = 150_000;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rfm-read-progress-'));
    const lines = ['InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country'];
    for (let i = 0; i < ROWS; i++) {
      const day = 1 + (i % 28);
      lines.push(
        `${500000 + Math.floor(i / 3)},A${i % 50},ITEM,${1 + (i % 7)},12/${day}/2011 10:${String(i % 60).padStart(2, '0')},${(1 + (i % 13) * 0.5).toFixed(2)},${12000 + (i % 3000)},UK`,
      );
    }
    writeFileSync(join(dir, 'export.csv.gz'), gzipSync(`${lines.join('\n')}\n`));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reading reports between the phase boundaries: rows rising to the rows read, at most one per interval', async () => {
    const model: LoadedModel = {
      modelName: 'm',
      version: 1,
      sha256: 'x'.repeat(64),
      artifact: makeArtifact() as ArtifactV1,
      revision: 'r',
    };
    const seen: (RunProgress & { at: number })[] = [];
    const everyMs = 20;
    const scored = await scoreExport(join(dir, 'export.csv.gz'), model, {
      onProgress: (p) => seen.push({ ...p, at: performance.now() }),
      progressEveryMs: everyMs,
      duckThreads: 1,
    });
    expect(scored.facts.rowsRead).to.equal(ROWS);
    const reading = seen.filter((p) => p.phase === 'reading' && p.percent > 0);
    expect(reading.length, JSON.stringify(seen)).to.be.at.least(2);
    const i = seen.findIndex((p) => p.phase === 'aggregating');
    expect(seen.slice(0, i).every((p) => p.phase === 'reading')).to.equal(true);
    for (let k = 1; k < reading.length; k++) {
      expect(reading[k]!.rowsRead).to.be.at.least(reading[k - 1]!.rowsRead);
      expect(reading[k]!.percent).to.be.above(reading[k - 1]!.percent - 1e-9);
      expect(reading[k]!.at - reading[k - 1]!.at).to.be.at.least(everyMs - 5);
    }
    expect(reading.at(-1)!.rowsRead).to.be.within(1, ROWS);
    expect(reading.at(-1)!.percent).to.be.within(0, 70);
    expect(seen[i]).to.include({ rowsRead: ROWS, percent: 70 });
  });
});

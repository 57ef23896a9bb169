import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { trainProgress } from './train-progress.js';

function fakeStream(tty: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  let out = '';
  s.on('data', (c: Buffer) => (out += c.toString()));
  Object.assign(s, {
    isTTY: tty,
    columns: 100,
    rows: 30,
    cursorTo: () => true,
    moveCursor: () => true,
    clearLine: () => true,
    clearScreenDown: () => true,
  });
  return { stream: s, text: () => out };
}

describe('rfm train progress', () => {
  it('is silent with --json and when stderr is not a terminal', () => {
    for (const [json, tty] of [
      [true, true],
      [false, false],
    ] as const) {
      const f = fakeStream(tty);
      const p = trainProgress({ json }, f.stream);
      expect(p.onProgress).to.equal(undefined);
      expect(p.onEvent).to.equal(undefined);
      p.stop();
      expect(f.text()).to.equal('');
    }
  });

  it('on a terminal: phase lines, and a bar over the restarts (k-means) that is cleared at the end', async () => {
    const f = fakeStream(true);
    const p = trainProgress({}, f.stream);
    p.onProgress!('reading export.csv');
    p.onEvent!({ phase: 'fit', done: 0, total: 10, message: 'fitting' });
    for (let i = 1; i <= 10; i++) {
      p.onProgress!(`  restart ${i}/10: inertia 1.00 after 7 iterations`);
      p.onEvent!({ phase: 'fit', done: i, total: 10, message: '' });
    }
    p.onEvent!({ phase: 'evaluate', message: 'evaluating' });
    p.onProgress!('evaluating');
    p.stop();
    await new Promise((r) => setTimeout(r, 20));
    const out = f.text();
    expect(out).to.include('reading export.csv').and.include('restart 10/10').and.include('evaluating');
    expect(out).to.match(/k-means \[[^\]]*\] *\d+\/10/);
  });
});

describe('rfm train --progress-json', () => {
  it('writes one JSON line per event: percent never going back, rows once read, the fit spread over its restarts', async () => {
    const { jsonProgress } = await import('./train-progress.js');
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const p = jsonProgress(out);
    p.onEvent!({ phase: 'read_clean_aggregate', message: 'reading x.csv' });
    p.onEvent!({ phase: 'read_clean_aggregate', rows: 12_140, message: '12140 rows read' });
    p.onEvent!({ phase: 'fit', done: 0, total: 10, message: 'fitting' });
    p.onEvent!({ phase: 'fit', done: 5, total: 10, message: 'restart 5/10' });
    p.onEvent!({ phase: 'preprocess', message: 'late event of an earlier phase' });
    p.onEvent!({ phase: 'register', message: 'registering' });
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.percent)).to.deep.equal([2, 2, 25, 55.5, 55.5, 97]);
    expect(lines.map((l) => l.rows_read)).to.deep.equal([0, 12_140, 12_140, 12_140, 12_140, 12_140]);
    expect(lines[3]).to.include({ rfm_progress: 1, phase: 'fit', message: 'restart 5/10' });
  });
});

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

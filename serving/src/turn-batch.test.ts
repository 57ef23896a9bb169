import { expect } from 'chai';
import { TurnBatch } from './turn-batch.js';

describe('TurnBatch: jobs at the end of the event-loop turn', () => {
  it('runs nothing at once, then every job of the turn in order, and a later job in a later turn', async () => {
    const ran: string[] = [];
    const b = new TurnBatch<string>(
      (j) => ran.push(j),
      (e) => ran.push(`error ${String(e)}`),
    );
    b.add('a');
    b.add('b');
    process.nextTick(() => b.add('c')); // still this turn
    expect(ran).to.deep.equal([]);
    await new Promise((r) => setImmediate(r)); // queued after the batch's own setImmediate
    expect(ran).to.deep.equal(['a', 'b', 'c']);
    b.add('d');
    expect(ran).to.have.length(3);
    await new Promise((r) => setImmediate(r));
    expect(ran).to.deep.equal(['a', 'b', 'c', 'd']);
  });

  it('a job that throws is reported and the rest still run', async () => {
    const ran: number[] = [];
    const errors: string[] = [];
    const b = new TurnBatch<number>(
      (j) => {
        if (j === 2) throw new Error('job 2 broke');
        ran.push(j);
      },
      (e) => errors.push((e as Error).message),
    );
    for (const j of [1, 2, 3]) b.add(j);
    await new Promise((r) => setImmediate(r));
    expect(ran).to.deep.equal([1, 3]);
    expect(errors).to.deep.equal(['job 2 broke']);
  });
});

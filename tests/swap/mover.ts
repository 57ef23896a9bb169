/**
 * A separate process that moves the `production` alias again and again, as engineers running
 * `rfm models promote` / `rollback` would, and prints one JSON line per move with the time it
 * committed: `node --conditions=rfm-source --import tsx tests/swap/mover.ts <registry> <model> <gap ms> <move>…`
 * where each move is a version number (promote, forced: this is about reloading, not policy) or `rollback`.
 */
import { Registry } from '@rfm/registry';

const [file, model, gap, ...moves] = process.argv.slice(2);
if (!file || !model || !gap || moves.length === 0) {
  process.stderr.write('usage: mover.ts <registry> <model> <gap ms> <version|rollback>…\n');
  process.exit(64);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const reg = await Registry.open(file);
try {
  for (const [i, m] of moves.entries()) {
    const by = { actor: 'swap-test', reason: `swap ${i}` };
    const move =
      m === 'rollback' ? await reg.rollback(model, by) : await reg.promote(model, Number(m), { ...by, force: true });
    process.stdout.write(`${JSON.stringify({ i, from: move.from, to: move.to, at: Date.now() })}\n`);
    await sleep(Number(gap));
  }
} finally {
  await reg.close();
}

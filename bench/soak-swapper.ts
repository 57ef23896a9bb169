// The second process of bench/soak.ts: moves production every SWAP_S seconds, alternately
// promoting the candidate and rolling back (as `rfm models promote` / `rfm models rollback`
// would), and prints one JSON line per committed move. Stops on SIGTERM or when stdin closes.
//
//   node --conditions=rfm-source --import tsx bench/soak-swapper.ts <registry> <model> <candidate> <seconds>
import { Registry } from '@rfm/registry';

const [file, model, candidateArg, secondsArg] = process.argv.slice(2);
const candidate = Number(candidateArg);
const ms = Number(secondsArg) * 1000;
let promote = true;
let n = 0;
const timer = setInterval(async () => {
  const reg = await Registry.open(file!); // short-lived connection per move, like a CLI invocation
  try {
    const t0 = performance.now();
    const move = promote
      ? await reg.promote(model!, candidate, { actor: 'soak', reason: `soak swap ${++n}`, force: true })
      : await reg.rollback(model!, { actor: 'soak', reason: `soak swap ${++n}` });
    process.stdout.write(
      `${JSON.stringify({
        n,
        action: promote ? 'promote' : 'rollback',
        from: move.from,
        to: move.to,
        ms: +(performance.now() - t0).toFixed(1),
        at: Date.now(),
      })}\n`,
    );
    promote = !promote;
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ n, error: (e as Error).message, at: Date.now() })}\n`);
  } finally {
    await reg.close();
  }
}, ms);
const stop = () => {
  clearInterval(timer);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();

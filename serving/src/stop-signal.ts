/**
 * Wait for SIGINT / SIGTERM (or `signal` to abort): the start of a graceful stop, for a single
 * server (`rfm serve`) and for the cluster primary alike. The listeners are removed once it resolves,
 * so the caller decides what a second signal does. Resolves with the signal, or null on abort.
 */
export function untilStopSignal(
  opts: { signal?: AbortSignal | undefined; onSignal?: (sig: NodeJS.Signals) => void } = {},
): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => {
    const done = (sig: NodeJS.Signals | null) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(sig);
    };
    const onSignal = (sig: NodeJS.Signals) => {
      opts.onSignal?.(sig);
      done(sig);
    };
    const onAbort = () => done(null);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    if (opts.signal?.aborted) done(null);
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * One scoring run, in a child process of the server (run-queue.ts forks it): the export is read
 * by DuckDB on one thread with a memory limit and spills into the run's private folder, every
 * customer is scored with @rfm/runs' scoreExport, and the run is saved in one registry
 * transaction (all or nothing: a crash or a kill never leaves half a run). The parent runs it at a
 * lower scheduling priority and kills it to cancel; if the parent dies, so does this process.
 */
import { setPriority } from 'node:os';
import { Registry } from '@rfm/registry';
import { driftForRun, newRunInput, runWebhookPayload, scoreExport, type RunProgress } from '@rfm/runs';
import { isRfmError } from '@rfm/shared';
import type { ChildReply, ChildStart } from './protocol.js';

const send = (m: ChildReply): void => {
  process.send?.(m);
};

// the parent is gone (crash, SIGKILL): its run is over; never finish a run nobody tracks
process.on('disconnect', () => process.exit(3));
// and if the channel's close is not noticed (a busy loop of native work), the parent's pid changes
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(3);
}, 500).unref();

process.once('message', (m: ChildStart) => {
  void run(m).then(
    () => process.disconnect(),
    (e: unknown) => {
      const err = isRfmError(e)
        ? { code: e.code, message: e.message, issues: e.issues }
        : { code: 'INTERNAL' as const, message: e instanceof Error ? e.message : String(e), issues: [] };
      send({ type: 'error', ...err });
      process.disconnect();
    },
  );
});

async function run(m: ChildStart): Promise<void> {
  try {
    setPriority(0, m.niceness); // also set by the parent; this covers platforms where that failed
  } catch {
    // not allowed: the parent's setting (or none) stands
  }
  const reg = await Registry.open(m.registry);
  try {
    const model = await reg.loadModel(m.model, m.version);
    let last = 0;
    let lastPhase = '';
    // scoreExport reports rows read every 250 ms while reading; a new phase always goes through
    const onProgress = (p: RunProgress) => {
      const t = Date.now();
      if (t - last < 200 && p.percent < 100 && p.phase === lastPhase) return;
      last = t;
      lastPhase = p.phase;
      send({ type: 'progress', ...p });
    };
    const scored = await scoreExport(m.file, model, {
      ...m.options,
      onProgress,
      duckThreads: 1,
      tempDir: m.dir,
      memoryLimit: m.memoryLimit,
    });
    scored.facts.exportName = m.exportName;
    let saved = false;
    let webhook: { url: string; payload: unknown } | null = null;
    let webhookError: string | undefined;
    if (m.save) {
      send({ type: 'progress', phase: 'saving', rowsRead: scored.facts.rowsRead, percent: 90 });
      const run = await reg.saveRun(newRunInput(scored, m.id, await driftForRun(reg, scored, model)), m.actor);
      saved = true;
      // the summary needs the previous run's customers (the diff): made here, off the server's
      // event loop; the parent posts it. Whatever fails here, the run is saved.
      try {
        const url = await reg.webhook(m.model);
        if (url) webhook = { url, payload: await runWebhookPayload(reg, run, scored.customers) };
      } catch (e) {
        webhookError = e instanceof Error ? e.message : String(e);
      }
    }
    send({
      type: 'done',
      saved,
      facts: scored.facts,
      summary: scored.summary,
      webhook,
      ...(webhookError ? { webhookError } : {}),
    });
  } finally {
    await reg.close();
  }
}

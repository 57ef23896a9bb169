/**
 * Worker thread for the saved-run downloads (GET /api/v1/runs/:id/customers and /diff): decoding,
 * history, text and diff happen here (run-rows.ts), so a 1M-customer download does not stall
 * predictions. It opens the registry read-only; customers go back in chunks, one per `more` from
 * the main thread (which asks once the socket took the previous one: back-pressure end to end).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Registry } from '@rfm/registry';
import type { ListOptions } from '@rfm/runs';
import { errorReply, type WorkerReply } from '../worker-rpc.js';
import { customerChunks, diffJson, savedRunRows } from './run-rows.js';

export type RunsWorkerRequest =
  | { type: 'customers'; id: number; run: string; format: 'csv' | 'ndjson'; list: ListOptions }
  | { type: 'diff'; id: number; run: string; against: string }
  | { type: 'more'; id: number }
  | { type: 'cancel'; id: number };

/** a chunk of text (customers, or a diff's JSON) and whether it was the last */
export interface RunsChunk {
  chunk?: string;
  done: boolean;
}
export type RunsWorkerReply = WorkerReply<RunsChunk>;

const port = parentPort!;
let reg: Promise<Registry> | null = null;
const open = new Map<number, Generator<string>>();

function send(id: number, gen: Generator<string>): void {
  const r = gen.next();
  if (r.done) {
    open.delete(id);
    port.postMessage({ id, ok: true, done: true } satisfies RunsWorkerReply);
  } else port.postMessage({ id, ok: true, chunk: r.value, done: false } satisfies RunsWorkerReply);
}

port.on('message', async (m: RunsWorkerRequest) => {
  try {
    if (m.type === 'more') {
      const gen = open.get(m.id);
      if (gen) send(m.id, gen);
      else port.postMessage({ id: m.id, ok: true, done: true } satisfies RunsWorkerReply); // cancelled meanwhile
      return;
    }
    if (m.type === 'cancel') {
      open.delete(m.id);
      return;
    }
    reg ??= Registry.openReadOnly((workerData as { file: string }).file).catch((e: unknown) => {
      reg = null; // the next request tries again
      throw e;
    });
    if (m.type === 'diff') {
      port.postMessage({ id: m.id, ok: true, chunk: await diffJson(await reg, m.run, m.against), done: true });
      return;
    }
    const gen = customerChunks(await savedRunRows(await reg, m.run), m.format, m.list);
    open.set(m.id, gen);
    send(m.id, gen);
  } catch (e) {
    open.delete(m.id);
    port.postMessage(errorReply(m.id, e) satisfies RunsWorkerReply);
  }
});

/**
 * Worker thread for GET /api/v1/models/:name/compare: predicting every stored training customer
 * of two versions takes tens to hundreds of milliseconds, which on the main thread would stall
 * every prediction. It opens the registry read-only (SQLite file or PostgreSQL URL) and answers each request in turn.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Registry } from '@rfm/registry';
import { errorReply } from './worker-rpc.js';

export interface CompareRequest {
  id: number;
  name: string;
  a: number;
  b: number;
}

const port = parentPort!;
let reg: Promise<Registry> | null = null;

port.on('message', async (m: CompareRequest) => {
  try {
    reg ??= Registry.openReadOnly((workerData as { file: string }).file);
    port.postMessage({ id: m.id, ok: true, result: await (await reg).compare(m.name, m.a, m.b) });
  } catch (e) {
    port.postMessage(errorReply(m.id, e));
  }
});

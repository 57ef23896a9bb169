import type { ListOptions } from '@rfm/runs';
import { WorkerClient } from '../worker-rpc.js';
import type { RunsChunk, RunsWorkerRequest } from './runs-worker.js';

/**
 * The main thread's side of the runs worker (runs-worker.ts): saved-run customers as chunks pulled
 * one at a time, and diffs as JSON text, computed off the event loop. One worker per server
 * process, started on first use, unref'd (an idle worker never keeps the process alive).
 */
export class RunsReader {
  private readonly client: WorkerClient<RunsWorkerRequest, RunsChunk>;
  private nextId = 1;

  constructor(file: string) {
    this.client = new WorkerClient(import.meta.url, './runs-worker', { file });
  }

  /**
   * The customers of a saved run in chunks. The first chunk is computed before this returns, so an
   * unknown segment or a damaged run is an error before any byte of the answer is sent.
   */
  async customers(run: string, format: 'csv' | 'ndjson', list: ListOptions = {}): Promise<AsyncGenerator<string>> {
    const id = this.nextId++;
    const first = await this.ask({ type: 'customers', id, run, format, list });
    const self = this;
    return (async function* () {
      let cur = first;
      let next: Promise<RunsChunk> | null = null;
      let finished = false;
      try {
        for (;;) {
          // ask for the next chunk before this one is written: the worker builds it meanwhile
          // (at most one chunk ahead, so a slow client still holds the worker back)
          next = cur.done ? null : self.ask({ type: 'more', id });
          if (cur.chunk !== undefined) yield cur.chunk;
          if (!next) break;
          cur = await next;
          next = null;
        }
        finished = true;
      } finally {
        if (!finished) {
          next?.catch(() => {}); // answered or not, nobody waits for it any more
          self.client.post({ type: 'cancel', id } satisfies RunsWorkerRequest);
        }
      }
    })();
  }

  /** The migration from `against` to `run` as JSON text. */
  async diff(run: string, against: string): Promise<string> {
    const r = await this.ask({ type: 'diff', id: this.nextId++, run, against });
    return r.chunk ?? 'null';
  }

  private ask(req: RunsWorkerRequest): Promise<RunsChunk> {
    return this.client.request(req);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

import { Worker } from 'node:worker_threads';
import type { ListOptions } from '@rfm/runs';
import { RfmError, type Issue, type RfmErrorCode } from '@rfm/shared';
import type { RunsWorkerReply, RunsWorkerRequest } from './runs-worker.js';

type Pending = { resolve: (r: { chunk?: string; done: boolean }) => void; reject: (e: unknown) => void };

/**
 * The main thread's side of the runs worker (runs-worker.ts): saved-run customers as chunks pulled
 * one at a time, and diffs as JSON text, computed off the event loop. One worker per server
 * process, started on first use, unref'd (an idle worker never keeps the process alive).
 */
export class RunsReader {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, Pending>();

  constructor(private readonly file: string) {}

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
      let next: Promise<{ chunk?: string; done: boolean }> | null = null;
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
          self.worker?.postMessage({ type: 'cancel', id } satisfies RunsWorkerRequest);
        }
      }
    })();
  }

  /** The migration from `against` to `run` as JSON text. */
  async diff(run: string, against: string): Promise<string> {
    const r = await this.ask({ type: 'diff', id: this.nextId++, run, against });
    return r.chunk ?? 'null';
  }

  private ask(req: RunsWorkerRequest): Promise<{ chunk?: string; done: boolean }> {
    return new Promise((resolve, reject) => {
      this.waiting.set(req.id, { resolve, reject });
      this.spawn().postMessage(req);
    });
  }

  private spawn(): Worker {
    if (this.worker) return this.worker;
    // as compare-service.ts: from source (tests through tsx) the worker registers tsx's hooks itself
    const fromSource = import.meta.url.endsWith('.ts');
    const entry = new URL(`./runs-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
    const w = fromSource
      ? new Worker(
          `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); });`,
          { eval: true, workerData: { file: this.file } },
        )
      : new Worker(entry, { workerData: { file: this.file } });
    w.unref();
    w.on('message', (m: RunsWorkerReply) => {
      const p = this.waiting.get(m.id);
      if (!p) return;
      this.waiting.delete(m.id);
      if (m.ok) p.resolve({ ...(m.chunk !== undefined ? { chunk: m.chunk } : {}), done: m.done });
      else
        p.reject(
          m.error.code === 'INTERNAL'
            ? new RfmError('INTERNAL', 'internal error', { cause: new Error(m.error.message) })
            : new RfmError(m.error.code as RfmErrorCode, m.error.message, {
                issues: (m.error.issues ?? []) as Issue[],
              }),
        );
    });
    const fail = (e: unknown) => {
      if (this.worker === w) this.worker = null;
      for (const p of this.waiting.values()) p.reject(new RfmError('INTERNAL', 'internal error', { cause: e }));
      this.waiting.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`runs worker exited with code ${code}`)));
    this.worker = w;
    return w;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

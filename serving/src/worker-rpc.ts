import { Worker } from 'node:worker_threads';
import { isRfmError, RfmError, type Issue, type RfmErrorCode } from '@rfm/shared';

/**
 * Request/reply with a worker thread, for work that must stay off the event loop that answers
 * predictions (version comparisons, saved-run downloads). Both ends share this module: the worker
 * sends `{ id, ok: true, …payload }` or `errorReply(id, e)`; the client matches replies to requests
 * by id and turns an error reply back into the same RfmError, so routes answer it as if it had been
 * thrown on the main thread.
 */

/** What crosses the thread boundary for a failure: the code, the message and the issues, never a stack. */
export interface WorkerFailure {
  code: string;
  message: string;
  issues?: unknown[];
}

export type WorkerReply<T> = ({ id: number; ok: true } & T) | { id: number; ok: false; error: WorkerFailure };

/** The worker side: the failure reply for a request, an RfmError kept as it is, anything else INTERNAL. */
export function errorReply(id: number, e: unknown): { id: number; ok: false; error: WorkerFailure } {
  const error = isRfmError(e)
    ? { code: e.code, message: e.message, issues: e.issues }
    : { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
  return { id, ok: false, error };
}

function toError(f: WorkerFailure): RfmError {
  // an unexpected failure keeps its text for the log (cause), never for the client
  return f.code === 'INTERNAL'
    ? new RfmError('INTERNAL', 'internal error', { cause: new Error(f.message) })
    : new RfmError(f.code as RfmErrorCode, f.message, { issues: (f.issues ?? []) as Issue[] });
}

/**
 * The main thread's side: one worker, started on first use and unref'd (an idle worker never keeps
 * the process alive); if it dies, every waiting request fails with INTERNAL and the next request
 * starts a fresh one.
 */
export class WorkerClient<Req extends { id: number }, Ok> {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, { resolve: (r: Ok) => void; reject: (e: unknown) => void }>();

  /**
   * @param caller `import.meta.url` of the module beside the worker
   * @param name the worker module's name without extension (e.g. './compare-worker')
   * @param data the worker's `workerData`
   */
  constructor(
    private readonly caller: string,
    private readonly name: string,
    private readonly data: unknown,
  ) {}

  /** Send a request; resolves with the reply's payload (without id and ok) or rejects with its RfmError. */
  request(req: Req): Promise<Ok> {
    return new Promise((resolve, reject) => {
      this.waiting.set(req.id, { resolve, reject });
      this.spawn().postMessage(req);
    });
  }

  /** A message that expects no reply (e.g. a cancel); dropped when no worker is running. */
  post(msg: unknown): void {
    this.worker?.postMessage(msg);
  }

  private spawn(): Worker {
    if (this.worker) return this.worker;
    // built: the worker's .js beside the caller. From source (tests run TypeScript through tsx),
    // Node 20 does not carry tsx's loader hooks into worker threads, so the worker registers them.
    const fromSource = this.caller.endsWith('.ts');
    const entry = new URL(`${this.name}.${fromSource ? 'ts' : 'js'}`, this.caller);
    const w = fromSource
      ? new Worker(
          `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); });`,
          { eval: true, workerData: this.data },
        )
      : new Worker(entry, { workerData: this.data });
    w.unref();
    w.on('message', (m: WorkerReply<Ok>) => {
      const p = this.waiting.get(m.id);
      if (!p) return;
      this.waiting.delete(m.id);
      if (m.ok) {
        const { id: _id, ok: _ok, ...payload } = m;
        p.resolve(payload as Ok);
      } else p.reject(toError(m.error));
    });
    const fail = (e: unknown) => {
      if (this.worker === w) this.worker = null; // the next request starts a fresh one
      for (const p of this.waiting.values()) p.reject(new RfmError('INTERNAL', 'internal error', { cause: e }));
      this.waiting.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`worker ${this.name} exited with code ${code}`)));
    this.worker = w;
    return w;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

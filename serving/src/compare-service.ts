import { Worker } from 'node:worker_threads';
import { RfmError, type RfmErrorCode, type Issue } from '@rfm/shared';
import type { VersionComparison } from '@rfm/registry';
import { Lru } from './lru.js';
import type { CompareRequest } from './compare-worker.js';

type Reply =
  | { id: number; ok: true; result: VersionComparison }
  | { id: number; ok: false; error: { code: RfmErrorCode | 'INTERNAL'; message: string; issues?: Issue[] } };

/** Seconds a client is asked to wait when too many distinct comparisons are already queued. */
export const COMPARE_RETRY_AFTER_S = 5;

/**
 * Anonymous version comparisons: computed in a worker thread, never on the
 * event loop that answers predictions; cached per (model, a, b, registry revision), where the
 * revision is the registry change token the model holder last saw (it changes with every commit,
 * so a relabel or a new version is not answered from a stale entry once the holder has seen it); identical
 * requests in flight share one computation; and at most `maxPending` distinct ones wait at once,
 * beyond which the answer is 503 with Retry-After instead of an ever longer queue.
 */
export class CompareService {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (r: VersionComparison) => void; reject: (e: unknown) => void }
  >();
  private readonly inflight = new Map<string, Promise<string>>();
  // the JSON text, so a cached answer costs no serialisation on the event loop either
  private readonly cache = new Lru<string, { revision: string; json: string }>(64);

  constructor(
    private readonly file: string,
    private readonly revision: () => Promise<string | null>,
    private readonly maxPending = 4,
  ) {}

  /** how many comparisons the worker has computed (tests use it to see the cache work) */
  computed = 0;

  /** The comparison as JSON text. */
  async compare(name: string, a: number, b: number): Promise<string> {
    const key = `${name}\u0000${a}\u0000${b}`;
    const revision = await this.revision();
    const hit = this.cache.get(key);
    if (hit && revision !== null && hit.revision === revision) return hit.json;
    const flight = `${key}\u0000${revision}`;
    const running = this.inflight.get(flight);
    if (running) return running;
    if (this.inflight.size >= this.maxPending)
      throw new RfmError(
        'MODEL_UNAVAILABLE',
        `too many version comparisons are being computed; retry in ${COMPARE_RETRY_AFTER_S} s`,
        { details: { retry_after_s: COMPARE_RETRY_AFTER_S } },
      );
    const p = this.run({ id: this.nextId++, name, a, b })
      .then((result) => {
        this.computed++;
        const json = JSON.stringify(result);
        if (revision !== null) this.cache.set(key, { revision, json });
        return json;
      })
      .finally(() => this.inflight.delete(flight));
    this.inflight.set(flight, p);
    return p;
  }

  private run(req: CompareRequest): Promise<VersionComparison> {
    return new Promise((resolve, reject) => {
      this.waiting.set(req.id, { resolve, reject });
      this.spawn().postMessage(req);
    });
  }

  private spawn(): Worker {
    if (this.worker) return this.worker;
    // built: compare-worker.js beside this file. From source (tests run TypeScript through tsx),
    // Node 20 does not carry tsx's loader hooks into worker threads, so the worker registers them.
    const fromSource = import.meta.url.endsWith('.ts');
    const entry = new URL(`./compare-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
    const w = fromSource
      ? new Worker(
          `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); });`,
          { eval: true, workerData: { file: this.file } },
        )
      : new Worker(entry, { workerData: { file: this.file } });
    w.unref(); // an idle worker never keeps the process alive
    w.on('message', (m: Reply) => {
      const p = this.waiting.get(m.id);
      if (!p) return;
      this.waiting.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else
        p.reject(
          m.error.code === 'INTERNAL'
            ? new RfmError('INTERNAL', 'internal error', { cause: new Error(m.error.message) })
            : new RfmError(m.error.code, m.error.message, { issues: m.error.issues ?? [] }),
        );
    });
    const fail = (e: unknown) => {
      if (this.worker === w) this.worker = null; // the next request starts a fresh one
      for (const p of this.waiting.values()) p.reject(new RfmError('INTERNAL', 'internal error', { cause: e }));
      this.waiting.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`compare worker exited with code ${code}`)));
    this.worker = w;
    return w;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

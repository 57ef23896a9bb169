import { RfmError } from '@rfm/shared';
import type { VersionComparison } from '@rfm/registry';
import { Lru } from './lru.js';
import type { CompareRequest } from './compare-worker.js';
import { WorkerClient } from './worker-rpc.js';

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
  private readonly client: WorkerClient<CompareRequest, { result: VersionComparison }>;
  private nextId = 1;
  private readonly inflight = new Map<string, Promise<string>>();
  // the JSON text, so a cached answer costs no serialisation on the event loop either
  private readonly cache = new Lru<string, { revision: string; json: string }>(64);

  constructor(
    file: string,
    private readonly revision: () => Promise<string | null>,
    private readonly maxPending = 4,
  ) {
    this.client = new WorkerClient(import.meta.url, './compare-worker', { file });
  }

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
    return this.client.request(req).then((r) => r.result);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

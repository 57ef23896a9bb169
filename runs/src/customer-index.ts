import type { Registry, RunRecord } from '@rfm/registry';
import { RfmError } from '@rfm/shared';
import { CUSTOMERS_ENCODINGS, decodeCustomersAsync } from './encoding.js';
import { customerHistory } from './history.js';
import { labelsFromSummary, type ClusterLabels } from './labels.js';
import {
  OUTLIER_UNKNOWN,
  OUTLIER_YES,
  type CustomerHistory,
  type SavedRunWithCustomers,
  type ScoredCustomers,
} from './types.js';

/** One customer as the lookup answers: the latest saved run of a model, with history from the earlier ones. */
export interface CustomerLookup {
  customer: string;
  model: string;
  segment: string;
  segmentKey: string;
  cluster: number;
  /** the customer's segment in the newest earlier run that had them (null: no earlier run did) */
  previousSegment: string | null;
  /** snapshot date of the first run of the unbroken streak in this segment (null: no earlier run) */
  segmentSince: string | null;
  recency: number;
  frequency: number;
  monetary: number;
  rScore: number;
  fScore: number;
  mScore: number;
  /** null when the version has no outlier thresholds */
  outlier: boolean | null;
  run: { id: string; version: number; snapshotDate: string; createdAt: string; exportName: string };
}

/**
 * Every customer of a model's latest saved run, found by id in O(log n): the run's customers come
 * sorted by code unit (ingest sorts every RFM table), so a binary search over the decoded id column
 * needs no Map of a million entries (a run that is not sorted gets one). previous_segment and
 * segment_since are computed once at build, exactly as the customer downloads compute them
 * (customerHistory over the runs with an earlier snapshot). Built for one runs-state token
 * (Registry.runsStateToken): whoever holds it rebuilds when the token moves (a run saved, deleted,
 * or rewritten by an erasure). The inflating runs on libuv's thread pool, off the event loop.
 */
export class CustomerIndex {
  private constructor(
    readonly model: string,
    readonly token: string,
    readonly run: RunRecord | null,
    private readonly customers: ScoredCustomers | null,
    private readonly labels: ClusterLabels | null,
    private readonly history: CustomerHistory | null,
    private readonly byId: Map<string, number> | null,
  ) {}

  /** `token` is the registry's runs-state token read BEFORE building (a change during the build shows next time). */
  static async build(reg: Registry, model: string, token: string): Promise<CustomerIndex> {
    const runs = await reg.listRuns({ model });
    const latest = runs[0];
    if (!latest) return new CustomerIndex(model, token, null, null, null, null, null);
    const load = async (r: RunRecord): Promise<SavedRunWithCustomers> => {
      if (!CUSTOMERS_ENCODINGS.includes(r.customersEncoding))
        throw new RfmError(
          'REGISTRY_ERROR',
          `saved run ${r.id} uses an unknown customers encoding ${r.customersEncoding}`,
        );
      return { run: r, customers: await decodeCustomersAsync(await reg.runCustomers(r.id)) };
    };
    const current = await load(latest);
    const labels = labelsFromSummary(latest.summary);
    const earlier: SavedRunWithCustomers[] = [];
    for (const r of runs) if (r.id !== latest.id && r.snapshotDate < latest.snapshotDate) earlier.push(await load(r));
    const history = customerHistory(
      { customers: current.customers, labels, snapshotDate: latest.snapshotDate },
      earlier,
    );
    const ids = current.customers.cid;
    let sorted = true;
    for (let i = 1; i < ids.length && sorted; i++) sorted = ids[i - 1]! < ids[i]!;
    const byId = sorted ? null : new Map(ids.map((c, i) => [c, i] as const));
    return new CustomerIndex(model, token, latest, current.customers, labels, history, byId);
  }

  get size(): number {
    return this.customers?.cid.length ?? 0;
  }

  private position(cid: string): number {
    if (this.byId) return this.byId.get(cid) ?? -1;
    const ids = this.customers?.cid ?? [];
    let lo = 0;
    let hi = ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = ids[mid]!;
      if (v === cid) return mid;
      if (v < cid) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** The customer, or null when the latest run does not have them. */
  find(cid: string): CustomerLookup | null {
    const c = this.customers;
    const run = this.run;
    if (!c || !run || !this.labels) return null;
    const i = this.position(cid);
    if (i < 0) return null;
    const cl = c.cluster[i]!;
    const o = c.outlier[i]!;
    return {
      customer: cid,
      model: this.model,
      segment: this.labels.names[cl] ?? String(cl),
      segmentKey: this.labels.keys[cl] ?? 'unknown',
      cluster: cl,
      previousSegment: this.history?.previousSegment[i] ?? null,
      segmentSince: this.history?.segmentSince[i] ?? null,
      recency: c.recency[i]!,
      frequency: c.frequency[i]!,
      monetary: c.monetary[i]!,
      rScore: c.rScore[i]!,
      fScore: c.fScore[i]!,
      mScore: c.mScore[i]!,
      outlier: o === OUTLIER_UNKNOWN ? null : o === OUTLIER_YES,
      run: {
        id: run.id,
        version: run.version,
        snapshotDate: run.snapshotDate,
        createdAt: run.createdAt,
        exportName: run.exportName,
      },
    };
  }
}

/**
 * The index of each model kept current against the registry: one runs-state read per lookup, a
 * rebuild (shared by the requests that arrive meanwhile) when it moved. Lookups never answer from
 * an index older than the token they read, so an erasure committed before a request is never
 * answered with the erased customer.
 */
export class CustomerIndexCache {
  private readonly built = new Map<string, Promise<CustomerIndex>>();
  constructor(
    private readonly registry: () => Promise<Registry>,
    private readonly maxModels = 4,
  ) {}

  async get(model: string): Promise<CustomerIndex> {
    const reg = await this.registry();
    const token = await reg.runsStateToken();
    const have = this.built.get(model);
    if (have) {
      const idx = await have.catch(() => null);
      if (idx && idx.token === token) return idx;
      if (this.built.get(model) !== have) return this.get(model); // someone started a newer build
    }
    const next = CustomerIndex.build(reg, model, token);
    this.built.delete(model);
    while (this.built.size >= this.maxModels) this.built.delete(this.built.keys().next().value!);
    this.built.set(model, next);
    next.catch(() => {
      if (this.built.get(model) === next) this.built.delete(model);
    });
    return next;
  }

  /** Forget every index (after an erasure in this process: the next lookup rebuilds). */
  clear(): void {
    this.built.clear();
  }
}

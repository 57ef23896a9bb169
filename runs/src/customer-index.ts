import type { Registry, RunRecord } from '@rfm/registry';
import { RfmError } from '@rfm/shared';
import { CustomerIds, StringCodes } from './customer-ids.js';
import { CUSTOMERS_ENCODINGS, decodeCustomersAsync } from './encoding.js';
import { customerHistory } from './history.js';
import { labelsFromSummary, type ClusterLabels } from './labels.js';
import { OUTLIER_UNKNOWN, OUTLIER_YES, type SavedRunWithCustomers, type ScoredCustomers } from './types.js';

/** The columns a lookup answers from: typed arrays only (views into the decoded run's one buffer). */
type LookupColumns = Pick<
  ScoredCustomers,
  'recency' | 'frequency' | 'monetary' | 'rScore' | 'fScore' | 'mScore' | 'cluster' | 'outlier'
>;

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
 * Every customer of a model's latest saved run, found by id in O(log n). The index holds no
 * per-customer JavaScript object: ids as one code-unit table (CustomerIds; ingest sorts every RFM
 * table, an unsorted run gets a permutation), R/F/M, scores, cluster and outlier as the decoded
 * run's typed arrays, previous_segment and segment_since as codes into a few strings
 * (StringCodes). A server holding a million customers then has a handful of large objects in its
 * old generation instead of millions of strings, so a major GC has little to mark (bench/lookup.ts).
 * previous_segment and segment_since are computed once at build, exactly as the customer
 * downloads compute them (customerHistory over the runs with an earlier snapshot). Built for one
 * runs-state token (Registry.runsStateToken): whoever holds it rebuilds when the token moves (a run
 * saved, deleted, or rewritten by an erasure). The inflating runs on libuv's thread pool, off the event loop.
 */
export class CustomerIndex {
  private constructor(
    readonly model: string,
    readonly token: string,
    readonly run: RunRecord | null,
    private readonly ids: CustomerIds | null,
    private readonly columns: LookupColumns | null,
    private readonly labels: ClusterLabels | null,
    private readonly previousSegment: StringCodes | null,
    private readonly segmentSince: StringCodes | null,
  ) {}

  /** `token` is the registry's runs-state token read BEFORE building (a change during the build shows next time). */
  static async build(reg: Registry, model: string, token: string): Promise<CustomerIndex> {
    const runs = await reg.listRuns({ model });
    const latest = runs[0];
    if (!latest) return new CustomerIndex(model, token, null, null, null, null, null, null);
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
    // only typed arrays and short tables are kept: the decoded id strings, attributes and history arrays go
    const { recency, frequency, monetary, rScore, fScore, mScore, cluster, outlier } = current.customers;
    return new CustomerIndex(
      model,
      token,
      latest,
      CustomerIds.from(current.customers.cid),
      { recency, frequency, monetary, rScore, fScore, mScore, cluster, outlier },
      labels,
      history && StringCodes.from(history.previousSegment),
      history && StringCodes.from(history.segmentSince),
    );
  }

  get size(): number {
    return this.ids?.size ?? 0;
  }

  /** The customer, or null when the latest run does not have them. */
  find(cid: string): CustomerLookup | null {
    const c = this.columns;
    const run = this.run;
    if (!c || !run || !this.labels || !this.ids) return null;
    const i = this.ids.indexOf(cid);
    if (i < 0) return null;
    const cl = c.cluster[i]!;
    const o = c.outlier[i]!;
    return {
      customer: cid,
      model: this.model,
      segment: this.labels.names[cl] ?? String(cl),
      segmentKey: this.labels.keys[cl] ?? 'unknown',
      cluster: cl,
      previousSegment: this.previousSegment?.at(i) ?? null,
      segmentSince: this.segmentSince?.at(i) ?? null,
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

import type { RunRecord } from '@rfm/registry';
import type { SegmentKey } from './labels.js';
import type { SavedRunWithCustomers, ScoredCustomers, SegmentSummary } from './types.js';

/** Hand-made scored customers: ids, clusters and monetary given; the rest plausible filler. */
export function customers(ids: string[], clusters: number[], monetary?: number[]): ScoredCustomers {
  const n = ids.length;
  return {
    cid: ids,
    recency: Float64Array.from(ids, (_, i) => 10 + i),
    frequency: Float64Array.from(ids, (_, i) => 1 + (i % 4)),
    monetary: Float64Array.from(monetary ?? ids.map((_, i) => 100 + i)),
    rScore: new Uint8Array(n).fill(3),
    fScore: new Uint8Array(n).fill(3),
    mScore: new Uint8Array(n).fill(3),
    cluster: Uint16Array.from(clusters),
    distance: Float64Array.from(ids, (_, i) => i / 10),
    outlier: new Uint8Array(n),
  };
}

/** A saved run of `model` whose cluster c is segment segments[c] ([name, key]). */
export function savedRun(
  id: string,
  c: ScoredCustomers,
  segments: [string, SegmentKey][],
  opts: { model?: string; version?: number; snapshotDate?: string; createdAt?: string } = {},
): SavedRunWithCustomers {
  const summary: SegmentSummary[] = segments.map(([segment, key], cluster) => ({
    segment,
    key,
    cluster,
    customers: 0,
    customerShare: 0,
    revenue: 0,
    revenueShare: 0,
    medianRecency: null,
    medianFrequency: null,
    medianMonetary: null,
  }));
  const facts = {
    exportName: 'x.csv',
    exportSha256: 'a'.repeat(64),
    snapshotDate: opts.snapshotDate ?? '2026-01-01',
    rowsRead: 0,
    rowsDropped: {},
    customers: c.cid.length,
    frequencyBasis: 'invoices',
    modelName: opts.model ?? 'm',
    version: opts.version ?? 1,
  };
  const run: RunRecord = {
    id,
    ...facts,
    createdBy: 't',
    createdAt: opts.createdAt ?? `${facts.snapshotDate}T00:00:00.000Z`,
    summary,
    facts,
    customersEncoding: 'rfm-customers-v1',
    customersBytes: 0,
  };
  return { run, customers: c };
}

import type { NewRun, RunRecord } from '@rfm/registry';
import type { ArtifactSegment } from '@rfm/shared';
import { encodeCustomers } from '../encoding.js';
import { summarize } from '../summary.js';
import type { SegmentKey } from '../labels.js';
import type { SavedRunWithCustomers, ScoredCustomers, SegmentSummary } from '../types.js';

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

/** What Registry.saveRun takes for hand-made customers of version 1 of `model`, scored on `snapshotDate`. */
export function savedRunInput(
  c: ScoredCustomers,
  snapshotDate: string,
  segments: readonly Pick<ArtifactSegment, 'cluster' | 'key' | 'name'>[],
  model: string,
): NewRun {
  const facts = {
    exportName: `${snapshotDate}.csv`,
    exportSha256: 'b'.repeat(64),
    snapshotDate,
    rowsRead: 40,
    rowsDropped: {},
    customers: c.cid.length,
    frequencyBasis: 'invoices',
    modelName: model,
    version: 1,
  };
  return {
    modelName: model,
    version: 1,
    exportName: facts.exportName,
    exportSha256: facts.exportSha256,
    snapshotDate,
    rowsRead: facts.rowsRead,
    rowsDropped: {},
    customers: c.cid.length,
    summary: summarize(c, segments),
    facts,
    customersBlob: encodeCustomers(c),
    customersEncoding: 'rfm-customers-v1',
  };
}

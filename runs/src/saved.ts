import type { NewRun, Registry } from '@rfm/registry';
import { RfmError, type RunDrift } from '@rfm/shared';
import { CUSTOMERS_ENCODING, CUSTOMERS_ENCODINGS, decodeCustomers, encodeCustomers } from './encoding.js';
import { labelsFromSummary } from './labels.js';
import type { CustomerHistory, CustomerRows, SavedRunWithCustomers, ScoredExport } from './types.js';

/** What `Registry.saveRun` takes for a scored export (the customers encoded compactly; drift from drift.ts). */
export function newRunInput(s: ScoredExport, id?: string, drift: RunDrift | null = null): NewRun {
  return {
    ...(id ? { id } : {}),
    drift,
    modelName: s.facts.modelName,
    version: s.facts.version,
    exportName: s.facts.exportName,
    exportSha256: s.facts.exportSha256,
    snapshotDate: s.facts.snapshotDate,
    rowsRead: s.facts.rowsRead,
    rowsDropped: s.facts.rowsDropped,
    customers: s.facts.customers,
    summary: s.summary,
    facts: s.facts,
    customersBlob: encodeCustomers(s.customers),
    customersEncoding: CUSTOMERS_ENCODING,
  };
}

/** A saved run with its customers decoded (NOT_FOUND naming the id when there is none). */
export async function loadSavedRun(reg: Registry, id: string): Promise<SavedRunWithCustomers> {
  const run = await reg.getRun(id);
  if (!CUSTOMERS_ENCODINGS.includes(run.customersEncoding))
    throw new RfmError('REGISTRY_ERROR', `saved run ${id} uses an unknown customers encoding ${run.customersEncoding}`);
  return { run, customers: decodeCustomers(await reg.runCustomers(id)) };
}

/** A saved run's customers as the writers take them. */
export function rowsForRun(s: SavedRunWithCustomers, history: CustomerHistory | null = null): CustomerRows {
  const l = labelsFromSummary(s.run.summary);
  return { customers: s.customers, segmentNames: l.names, segmentKeys: l.keys, history };
}

/**
 * The saved runs of a model before `before` (all of them when absent), newest first, at most
 * `limit`, customers decoded: what previous_segment / segment_since are computed from.
 */
export async function earlierRuns(
  reg: Registry,
  modelName: string,
  before?: { createdAt: string; id: string },
  limit = 12,
): Promise<SavedRunWithCustomers[]> {
  const all = await reg.listRuns({ model: modelName });
  const older = before
    ? all.filter(
        (r) =>
          r.id !== before.id &&
          (r.createdAt < before.createdAt || (r.createdAt === before.createdAt && r.id < before.id)),
      )
    : all;
  const out: SavedRunWithCustomers[] = [];
  for (const r of older.slice(0, limit)) out.push(await loadSavedRun(reg, r.id));
  return out;
}

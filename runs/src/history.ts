import { labelsFromSummary, type ClusterLabels } from './labels.js';
import { matchCustomers } from './match.js';
import type { CustomerHistory, SavedRunWithCustomers, ScoredCustomers } from './types.js';

/**
 * previous_segment and segment_since of every customer of a new result, from the earlier saved
 * runs of the same model. previous_segment: the customer's segment (name as that run showed it)
 * in the newest earlier run that has the customer. segment_since: the snapshot date of the oldest
 * run of the unbroken streak, ending now, in which the customer held the current segment's
 * catalogue key (segments compare by key, so a new version or a relabel does not reset it);
 * this run's snapshot when the streak starts now. Null when no earlier run exists. Pure.
 */
export function customerHistory(
  current: { customers: ScoredCustomers; labels: ClusterLabels; snapshotDate: string },
  earlier: readonly SavedRunWithCustomers[],
): CustomerHistory | null {
  if (!earlier.length) return null;
  const runs = [...earlier].sort(
    (x, y) => y.run.snapshotDate.localeCompare(x.run.snapshotDate) || y.run.createdAt.localeCompare(x.run.createdAt),
  ); // newest first
  const n = current.customers.cid.length;
  const previousSegment: (string | null)[] = new Array(n).fill(null);
  const segmentSince: (string | null)[] = new Array(n).fill(current.snapshotDate);
  const streak = new Uint8Array(n).fill(1); // still unbroken going back
  for (const r of runs) {
    const l = labelsFromSummary(r.run.summary);
    const match = matchCustomers(r.customers.cid, current.customers.cid);
    for (let i = 0; i < n; i++) {
      const j = match[i]!;
      if (j < 0) {
        streak[i] = 0;
        continue;
      }
      const c = r.customers.cluster[j]!;
      previousSegment[i] ??= l.names[c]!;
      if (streak[i] && l.keys[c] === current.labels.keys[current.customers.cluster[i]!])
        segmentSince[i] = r.run.snapshotDate;
      else streak[i] = 0;
    }
  }
  return { previousSegment, segmentSince };
}

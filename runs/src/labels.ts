import { SEGMENT_CATALOGUE, type SegmentSummary } from '@rfm/shared';

export type SegmentKey = SegmentSummary['key'];

/** A run's segments by cluster: display names (relabels and qualifiers included) and catalogue keys. */
export interface ClusterLabels {
  names: string[];
  keys: SegmentKey[];
}

export function labelsFromSummary(summary: readonly SegmentSummary[]): ClusterLabels {
  const names: string[] = [];
  const keys: SegmentKey[] = [];
  for (const s of summary) {
    names[s.cluster] = s.segment;
    keys[s.cluster] = s.key;
  }
  return { names, keys };
}

export function catalogueName(key: SegmentKey): string {
  return SEGMENT_CATALOGUE.find((s) => s.key === key)?.name ?? key;
}

/** "Best buyers (Champions)" when a run's name differs from its key's catalogue name, else the name. */
export function shownName(name: string, key: SegmentKey): string {
  const cat = catalogueName(key);
  return name === cat ? name : `${name} (${cat})`;
}

/** Does a user's `--segment` / `--from` / `--to` word mean this segment? Its name, its key or its catalogue name. */
export function segmentMatches(query: string, name: string, key: SegmentKey): boolean {
  const q = query.trim().toLowerCase();
  return q === name.toLowerCase() || q === key || q === catalogueName(key).toLowerCase();
}

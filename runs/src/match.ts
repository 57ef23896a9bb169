/**
 * For each customer of `to`, the index of the same customer in `from`, or -1. Both id lists come
 * sorted by code unit (ingest sorts every RFM table that way), so one merge pass does it; lists
 * that are not sorted fall back to a hash map. Pure.
 */
export function matchCustomers(from: readonly string[], to: readonly string[]): Int32Array {
  const out = new Int32Array(to.length).fill(-1);
  if (isSorted(from) && isSorted(to)) {
    for (let i = 0, j = 0; i < to.length && j < from.length; ) {
      const a = to[i]!;
      const b = from[j]!;
      if (a === b) out[i++] = j++;
      else if (a < b) i++;
      else j++;
    }
    return out;
  }
  const at = new Map<string, number>();
  for (let j = 0; j < from.length; j++) at.set(from[j]!, j);
  for (let i = 0; i < to.length; i++) out[i] = at.get(to[i]!) ?? -1;
  return out;
}

function isSorted(ids: readonly string[]): boolean {
  for (let i = 1; i < ids.length; i++) if (!(ids[i - 1]! < ids[i]!)) return false;
  return true;
}

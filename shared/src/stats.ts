/** Small numeric helpers shared by training (scoring) and reports. Pure. */

/** Percentile with linear interpolation between closest ranks (numpy's default). `sorted` ascending. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (p / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** The four quintile break points (20, 40, 60, 80 %) of a column. */
export function quintiles(values: ArrayLike<number>): [number, number, number, number] {
  const s = Float64Array.from(values as ArrayLike<number>).sort();
  return [percentileSorted(s, 20), percentileSorted(s, 40), percentileSorted(s, 60), percentileSorted(s, 80)];
}

/**
 * Smallest and largest of a column in one pass ({min: Infinity, max: -Infinity} when empty).
 * `Math.max(...values)` passes every value as an argument and overflows the stack past about
 * 100,000 values; this does not.
 */
export function extent(values: Iterable<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

export function median(values: ArrayLike<number>): number {
  return percentileSorted(Float64Array.from(values as ArrayLike<number>).sort(), 50);
}

/** Adjusted Rand index of two labelings of the same items (Hubert & Arabie), as sklearn computes it. */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n !== b.length) throw new RangeError('labelings differ in length');
  if (n < 2) return 1;
  const table = new Map<string, number>();
  const ra = new Map<number, number>();
  const rb = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]},${b[i]}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    ra.set(a[i]!, (ra.get(a[i]!) ?? 0) + 1);
    rb.set(b[i]!, (rb.get(b[i]!) ?? 0) + 1);
  }
  const c2 = (x: number) => (x * (x - 1)) / 2;
  let index = 0;
  for (const v of table.values()) index += c2(v);
  let sa = 0;
  for (const v of ra.values()) sa += c2(v);
  let sb = 0;
  for (const v of rb.values()) sb += c2(v);
  const expected = (sa * sb) / c2(n);
  const max = (sa + sb) / 2;
  if (max === expected) return 1; // both labelings trivial (one cluster, or all singletons)
  return (index - expected) / (max - expected);
}

/**
 * A share (0..1) as every page, chart and CLI table prints it: one decimal percent ("2.9%"). One
 * formatter so a chart label never says 3.0% where the table beside it says 2.9%.
 */
export function formatShare(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

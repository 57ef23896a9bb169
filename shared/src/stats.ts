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

export function median(values: ArrayLike<number>): number {
  return percentileSorted(Float64Array.from(values as ArrayLike<number>).sort(), 50);
}

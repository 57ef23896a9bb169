/**
 * Preprocessing shared by training and serving: log1p, then standardize (population std, as
 * scikit-learn's StandardScaler). Pure functions over flat row-major Float64Arrays of (r, f, m).
 */
export interface Scaler {
  mean: [number, number, number];
  scale: [number, number, number];
}

export const DIM = 3;

/** Fit on raw rows [r0, f0, m0, r1, f1, m1, …]. A constant column gets scale 1 (as sklearn does). */
export function fitScaler(raw: Float64Array): Scaler {
  const n = raw.length / DIM;
  if (!Number.isInteger(n) || n < 1) throw new RangeError('fitScaler needs at least one row of 3 values');
  const sum = [0, 0, 0];
  for (let i = 0; i < raw.length; i += DIM) for (let j = 0; j < DIM; j++) sum[j]! += Math.log1p(raw[i + j]!);
  const mean = sum.map((s) => s / n) as [number, number, number];
  const ss = [0, 0, 0];
  for (let i = 0; i < raw.length; i += DIM)
    for (let j = 0; j < DIM; j++) {
      const d = Math.log1p(raw[i + j]!) - mean[j]!;
      ss[j]! += d * d;
    }
  const scale = ss.map((s) => {
    const sd = Math.sqrt(s / n);
    return sd > 1e-12 ? sd : 1;
  }) as [number, number, number];
  return { mean, scale };
}

/** Standardized features of one customer, written into out[offset..offset+2]. */
export function transformInto(s: Scaler, r: number, f: number, m: number, out: Float64Array, offset = 0): void {
  out[offset] = (Math.log1p(r) - s.mean[0]) / s.scale[0];
  out[offset + 1] = (Math.log1p(f) - s.mean[1]) / s.scale[1];
  out[offset + 2] = (Math.log1p(m) - s.mean[2]) / s.scale[2];
}

/** Whole table: raw rows → standardized rows (new array). */
export function transformRows(s: Scaler, raw: Float64Array): Float64Array {
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i += DIM) transformInto(s, raw[i]!, raw[i + 1]!, raw[i + 2]!, out, i);
  return out;
}

/** Standardized point → original units (inverse of transformInto). */
export function inverseTransform(
  s: Scaler,
  z: ArrayLike<number>,
): { recency: number; frequency: number; monetary: number } {
  return {
    recency: Math.expm1(z[0]! * s.scale[0] + s.mean[0]),
    frequency: Math.expm1(z[1]! * s.scale[1] + s.mean[1]),
    monetary: Math.expm1(z[2]! * s.scale[2] + s.mean[2]),
  };
}

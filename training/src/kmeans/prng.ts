/**
 * Seeded randomness for training (shared's mulberry32), so a seed reproduces a model exactly on
 * any backend; tf.random is not used because its streams differ between backends.
 */
import { mulberry32, type Rng } from '@rfm/shared';

export { mulberry32, type Rng };

/** A fresh 32-bit seed drawn from a stream (one per k-means restart). */
export function nextSeed(rng: Rng): number {
  return Math.floor(rng() * 4294967296) >>> 0;
}

/** `m` distinct indices of 0..n-1, in random order (partial Fisher–Yates). */
export function sampleIndices(n: number, m: number, rng: Rng): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const take = Math.min(m, n);
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(rng() * (n - i));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx.slice(0, take);
}

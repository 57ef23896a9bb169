/**
 * mulberry32: a small, fast, seeded PRNG. Every random choice in rfm (k-means seeding, sampling,
 * generated test data) goes through it, so a seed reproduces a result exactly on any platform.
 */
export type Rng = () => number;

/** Uniform [0, 1) from a 32-bit seed. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

import { expect } from 'chai';
import { selectBackend, type Tf } from './backend.js';
import { fitKMeans, sweepK } from './fit.js';
import { kmeans } from './kmeans.js';
import { mulberry32 } from './prng.js';

function blobs(centres: number[][], n: number, sd: number, seed: number): Float64Array {
  const rng = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const x = new Float64Array(centres.length * n * 3);
  let i = 0;
  for (let p = 0; p < n; p++) for (const c of centres) for (let j = 0; j < 3; j++) x[i++] = c[j]! + gauss() * sd;
  return x;
}

const base = { seed: 42, nInit: 10, maxIter: 300, tol: 1e-4 };

describe('k-means on any size, and choosing k', function () {
  this.timeout(60_000);
  let tf: Tf;
  before(async () => {
    ({ tf } = await selectBackend('wasm'));
  });

  it('sweeps k = 2…7 on four blobs: picks k = 4 by silhouette, inertia falls with k, same result for the same seed', () => {
    const x = blobs(
      [
        [0, 0, 0],
        [6, 0, 0],
        [0, 6, 0],
        [0, 0, 6],
      ],
      150,
      1,
      3,
    );
    const a = sweepK(tf, x, 3, { ...base, kMin: 2, kMax: 7 });
    expect(a.points.map((p) => p.k)).to.deep.equal([2, 3, 4, 5, 6, 7]);
    expect(a.k).to.equal(4);
    expect(a.fit.centers.length).to.equal(12);
    expect(a.silhouetteSample).to.equal(600);
    for (let i = 1; i < a.points.length; i++) expect(a.points[i]!.inertia).to.be.below(a.points[i - 1]!.inertia);
    const best = a.points.find((p) => p.k === 4)!;
    for (const p of a.points) expect(p.silhouette!).to.be.at.most(best.silhouette!);
    expect(best.davies_bouldin).to.be.a('number');
    const b = sweepK(tf, x, 3, { ...base, kMin: 2, kMax: 7 });
    expect(b.points).to.deep.equal(a.points);
    expect([...b.fit.labels]).to.deep.equal([...a.fit.labels]);
  });

  it('caps the sweep at n − 1 clusters and refuses too few rows', () => {
    const x = blobs(
      [
        [0, 0, 0],
        [5, 5, 5],
      ],
      2,
      0.5,
      1,
    ); // 4 rows
    expect(sweepK(tf, x, 3, { ...base, kMin: 2, kMax: 10 }).points.map((p) => p.k)).to.deep.equal([2, 3]);
    expect(() => sweepK(tf, x.subarray(0, 6), 3, { ...base, kMin: 2, kMax: 10 })).to.throw(RangeError);
  });

  it('large data: restarts on a seeded sample, then one full Lloyd run — inertia within 0.5% of full restarts, deterministic', () => {
    const x = blobs(
      [
        [0, 0, 0],
        [3, 0, 0],
        [0, 3, 0],
        [0, 0, 3],
        [3, 3, 3],
      ],
      1000,
      1,
      9,
    ); // 5,000 rows, overlapping
    const full = kmeans(tf, x, 3, { ...base, k: 5 });
    const sampled = fitKMeans(tf, x, 3, { ...base, k: 5, sampleAbove: 2000, sampleSize: 1000 });
    expect(sampled.algorithm).to.equal('lloyd-sampled-restarts');
    expect(sampled.restartSample).to.equal(1000);
    expect(sampled.runInertias).to.have.length(10);
    expect(sampled.labels).to.have.length(5000);
    expect(sampled.inertia).to.be.within(full.inertia * 0.995, full.inertia * 1.005);
    const again = fitKMeans(tf, x, 3, { ...base, k: 5, sampleAbove: 2000, sampleSize: 1000 });
    expect(again.inertia).to.equal(sampled.inertia);
    expect(fitKMeans(tf, x, 3, { ...base, k: 5 }).algorithm).to.equal('lloyd'); // below the default threshold
  });

  it('a given start (init) runs once from those centres', () => {
    const x = blobs(
      [
        [0, 0, 0],
        [6, 6, 6],
      ],
      50,
      1,
      5,
    );
    const r = kmeans(tf, x, 3, { ...base, k: 2, init: Float64Array.from([0, 0, 0, 6, 6, 6]) });
    expect(r.runInertias).to.have.length(1);
    expect(r.centers[0]!).to.be.closeTo(0, 0.5);
    expect(r.centers[3]!).to.be.closeTo(6, 0.5);
  });
});

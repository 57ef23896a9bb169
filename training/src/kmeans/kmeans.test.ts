import { expect } from 'chai';
import { selectBackend, type Tf } from './backend.js';
import { kmeansPlusPlus } from './init.js';
import { kmeans, meanVariance } from './kmeans.js';
import { relocateEmpty } from './lloyd.js';
import { mulberry32 } from './prng.js';

/** n points per blob around each centre, standard normal noise × sd (Box–Muller on mulberry32). */
function blobs(centres: number[][], n: number, sd: number, seed: number): { x: Float64Array; truth: Int32Array } {
  const rng = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const x = new Float64Array(centres.length * n * 3);
  const truth = new Int32Array(centres.length * n);
  let i = 0;
  // interleave blobs so the data order carries no hint of the answer
  for (let p = 0; p < n; p++)
    centres.forEach((c, b) => {
      for (let j = 0; j < 3; j++) x[i * 3 + j] = c[j]! + gauss() * sd;
      truth[i++] = b;
    });
  return { x, truth };
}

/** Labels equal up to a renaming of clusters (a bijection). */
function samePartition(a: Int32Array, b: Int32Array): boolean {
  const ab = new Map<number, number>();
  const ba = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    if ((ab.get(a[i]!) ?? b[i]) !== b[i] || (ba.get(b[i]!) ?? a[i]) !== a[i]) return false;
    ab.set(a[i]!, b[i]!);
    ba.set(b[i]!, a[i]!);
  }
  return true;
}

const opts = { k: 3, seed: 42, nInit: 10, maxIter: 300, tol: 1e-4 };

describe('k-means (tfjs)', () => {
  let tf: Tf;
  before(async () => {
    ({ tf } = await selectBackend('wasm'));
  });

  it('recovers three well-separated gaussian blobs exactly', () => {
    const { x, truth } = blobs(
      [
        [0, 0, 0],
        [8, 0, 0],
        [0, 8, 8],
      ],
      200,
      1,
      7,
    );
    const r = kmeans(tf, x, 3, opts);
    expect(samePartition(r.labels, truth)).to.equal(true);
    const sizes = [0, 0, 0];
    for (const l of r.labels) sizes[l]!++;
    expect(sizes).to.deep.equal([200, 200, 200]);
    // each fitted centre sits within 0.25 of a true one (noise sd 1, 200 points → se ≈ 0.07)
    for (let c = 0; c < 3; c++) {
      const d = Math.min(
        ...[
          [0, 0, 0],
          [8, 0, 0],
          [0, 8, 8],
        ].map((t) =>
          Math.hypot(r.centers[c * 3]! - t[0]!, r.centers[c * 3 + 1]! - t[1]!, r.centers[c * 3 + 2]! - t[2]!),
        ),
      );
      expect(d).to.be.lessThan(0.25);
    }
    expect(r.converged).to.equal(true);
    expect(tf.memory().numTensors).to.equal(0); // nothing leaked
  });

  it('gives an identical result for the same seed, and may differ for another', () => {
    const { x } = blobs(
      [
        [0, 0, 0],
        [3, 0, 0],
        [0, 3, 0],
        [2, 2, 2],
      ],
      150,
      1.2,
      11,
    );
    const a = kmeans(tf, x, 3, { ...opts, k: 4 });
    const b = kmeans(tf, x, 3, { ...opts, k: 4 });
    expect([...a.centers]).to.deep.equal([...b.centers]);
    expect([...a.labels]).to.deep.equal([...b.labels]);
    expect(a.runInertias).to.deep.equal(b.runInertias);
    const c = kmeans(tf, x, 3, { ...opts, k: 4, seed: 43 });
    expect(c.runInertias).to.not.deep.equal(a.runInertias);
  });

  it('keeps the lowest-inertia restart: more restarts never do worse', () => {
    const { x } = blobs(
      [
        [0, 0, 0],
        [3, 0, 0],
        [0, 3, 0],
        [2, 2, 2],
        [4, 4, 0],
      ],
      80,
      1.5,
      3,
    );
    const many = kmeans(tf, x, 3, { ...opts, k: 5, nInit: 10 });
    expect(many.runInertias).to.have.length(10);
    expect(many.inertia).to.equal(Math.min(...many.runInertias));
    expect(many.runInertias[many.bestRun]).to.equal(many.inertia);
    // run 0 starts from the same seed whatever nInit is, so best-of-10 ≤ best-of-1
    const one = kmeans(tf, x, 3, { ...opts, k: 5, nInit: 1 });
    expect(one.runInertias[0]).to.equal(many.runInertias[0]);
    expect(many.inertia).to.be.at.most(one.inertia);
  });

  it('agrees with the pure-JS cpu backend up to float32 rounding', async () => {
    const { x } = blobs(
      [
        [0, 0, 0],
        [5, 1, 0],
        [1, 5, 2],
      ],
      100,
      1,
      5,
    );
    const wasm = kmeans(tf, x, 3, opts);
    const { tf: cpuTf, backend } = await selectBackend('cpu');
    try {
      expect(backend).to.equal('cpu');
      const cpu = kmeans(cpuTf, x, 3, opts);
      expect([...cpu.labels]).to.deep.equal([...wasm.labels]);
      expect(cpu.inertia).to.be.closeTo(wasm.inertia, 1e-6 * wasm.inertia);
    } finally {
      await selectBackend('wasm');
    }
  });

  it("reaches scikit-learn's optimum on a small 3-D example (inertia 6.16)", () => {
    const x = Float64Array.from([
      0, 0, 0, 1, 0, 0, 0, 1, 0, 0.5, 0.5, 1, 5, 5, 5, 6, 5, 5, 5, 6, 4, 0, 5, 0, 1, 6, 0, 0, 5, 1, 0.2, 5.5, 0.3,
    ]);
    const r = kmeans(tf, x, 3, opts);
    expect(r.inertia).to.be.closeTo(6.16, 1e-9);
    expect(samePartition(r.labels, Int32Array.from([0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2]))).to.equal(true);
  });

  it('k = 1 puts everyone in one cluster at the mean', () => {
    const r = kmeans(tf, Float64Array.from([0, 0, 0, 2, 4, 6]), 3, { ...opts, k: 1 });
    expect([...r.centers]).to.deep.equal([1, 2, 3]);
    expect(r.inertia).to.equal(28); // (1 + 4 + 9) × 2
  });

  it('refuses more clusters than points', () => {
    expect(() => kmeans(tf, Float64Array.from([0, 0, 0, 1, 1, 1]), 3, { ...opts, k: 3 })).to.throw(
      RangeError,
      /at least 3 rows/,
    );
  });
});

describe('backend selection', () => {
  let hasNode = true;
  before(async () => {
    const name = '@tensorflow/tfjs-node';
    hasNode = await import(name).then(
      () => true,
      () => false,
    );
  });
  after(async () => {
    await selectBackend('wasm');
  });

  it('an explicit node backend without @tensorflow/tfjs-node installed is refused, not silently replaced', async function () {
    if (hasNode) this.skip(); // images built online may have it
    try {
      await selectBackend('node');
      expect.fail('should have thrown');
    } catch (e) {
      expect((e as { code?: string }).code).to.equal('UNSUPPORTED');
      expect((e as Error).message).to.match(/@tensorflow\/tfjs-node is not installed/);
    }
  });

  it('the default falls back from node to wasm when tfjs-node is absent', async () => {
    const { backend } = await selectBackend();
    expect(backend).to.equal(hasNode ? 'tensorflow' : 'wasm');
  });
});

describe('k-means building blocks', () => {
  it('k-means++ picks k distinct data points, the first uniformly, far ones after', () => {
    // two tight groups far apart: with k = 2 the second centre must come from the other group
    const x = Float64Array.from([0, 0, 0, 0.1, 0, 0, 0, 0.1, 0, 100, 100, 100, 100.1, 100, 100]);
    for (let seed = 0; seed < 20; seed++) {
      const c = kmeansPlusPlus(x, 5, 3, 2, mulberry32(seed));
      expect(Math.abs(c[0]! - c[3]!)).to.be.greaterThan(99);
    }
  });

  it('mean variance is the sklearn tolerance scale', () => {
    // columns: [1, 3] var 1; [0, 0] var 0; [2, 6] var 4 → mean 5/3
    expect(meanVariance(Float64Array.from([1, 0, 2, 3, 0, 6]), 3)).to.be.closeTo(5 / 3, 1e-15);
  });

  it('re-seeds an empty cluster with the point farthest from its centre', () => {
    const x = Float64Array.from([0, 1, 2, 10]);
    const centers = Float64Array.from([1, 50]); // cluster 1 gets nothing
    const labels = Int32Array.from([0, 0, 0, 0]);
    const sums = Float64Array.from([13, 0]);
    const counts = Float64Array.from([4, 0]);
    expect(relocateEmpty(x, 1, centers, labels, sums, counts, 2)).to.equal(1);
    expect([...sums]).to.deep.equal([3, 10]); // 10 moved out of cluster 0
    expect([...counts]).to.deep.equal([3, 1]);
    expect([...labels]).to.deep.equal([0, 0, 0, 1]);
  });

  it('mulberry32 is a fixed stream for a seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 5 }, () => a());
    expect(xs).to.deep.equal(Array.from({ length: 5 }, () => b()));
    expect(new Set(xs).size).to.equal(5);
    for (const v of xs) expect(v).to.be.within(0, 1);
  });
});

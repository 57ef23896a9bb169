import { expect } from 'chai';
import {
  assignLabels,
  calinskiHarabasz,
  clusterMeans,
  clusterSizes,
  daviesBouldin,
  inertia,
  silhouette,
  silhouetteExact,
} from './metrics.js';

// Four points on a line, clusters {0, 1} and {4, 5}; every figure below is worked out by hand.
const line = Float64Array.from([0, 1, 4, 5]);
const lineLabels = Int32Array.from([0, 0, 1, 1]);

// 11 points in 3-D, 3 clusters; reference values from scikit-learn 1.2.1 (silhouette_score,
// davies_bouldin_score, calinski_harabasz_score, KMeans(3).inertia_).
const pts = Float64Array.from([
  0, 0, 0, 1, 0, 0, 0, 1, 0, 0.5, 0.5, 1, 5, 5, 5, 6, 5, 5, 5, 6, 4, 0, 5, 0, 1, 6, 0, 0, 5, 1, 0.2, 5.5, 0.3,
]);
const ptsLabels = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2]);

describe('metrics', () => {
  it('silhouette of two pairs on a line: (7/9 + 5/7) / 2', () => {
    // point 0: a = 1, b = (4 + 5)/2 = 4.5 → 3.5/4.5 = 7/9; point 1: a = 1, b = 3.5 → 5/7; symmetric for 4 and 5
    expect(silhouetteExact(line, 1, lineLabels, 2)).to.be.closeTo((7 / 9 + 5 / 7) / 2, 1e-15);
    // the same points embedded in 3-D take the unrolled path and give the same answer
    const in3d = Float64Array.from([0, 0, 0, 1, 0, 0, 4, 0, 0, 5, 0, 0]);
    expect(silhouetteExact(in3d, 3, lineLabels, 2)).to.be.closeTo(0.746031746031746, 1e-15);
  });

  it('a singleton cluster contributes 0, as in scikit-learn', () => {
    // {0, 1} and {5}: (1 - 1/5) + (1 - 1/4) + 0, over 3 points
    const x = Float64Array.from([0, 1, 5]);
    expect(silhouetteExact(x, 1, Int32Array.from([0, 0, 1]), 2)).to.be.closeTo((0.8 + 0.75) / 3, 1e-15);
  });

  it('is undefined (null) with a single populated cluster', () => {
    expect(silhouetteExact(line, 1, Int32Array.from([1, 1, 1, 1]), 3)).to.equal(null);
    expect(daviesBouldin(line, 1, Int32Array.from([0, 0, 0, 0]), 2)).to.equal(null);
    expect(calinskiHarabasz(line, 1, Int32Array.from([0, 0, 0, 0]), 2)).to.equal(null);
  });

  it('inertia, Davies-Bouldin and Calinski-Harabasz of the line example', () => {
    const centers = Float64Array.from([0.5, 4.5]);
    expect(inertia(line, 1, centers, lineLabels)).to.equal(1); // four points, each 0.5 from its centre
    expect(daviesBouldin(line, 1, lineLabels, 2)).to.be.closeTo(0.25, 1e-15); // (0.5 + 0.5) / 4
    expect(calinskiHarabasz(line, 1, lineLabels, 2)).to.be.closeTo(32, 1e-12); // B = 16, W = 1, (n−k)/(k−1) = 2
  });

  it('matches scikit-learn on a 3-D example', () => {
    expect(silhouetteExact(pts, 3, ptsLabels, 3)).to.be.closeTo(0.7782340892480597, 1e-12);
    expect(daviesBouldin(pts, 3, ptsLabels, 3)).to.be.closeTo(0.2541537745615845, 1e-12);
    expect(calinskiHarabasz(pts, 3, ptsLabels, 3)).to.be.closeTo(103.57378984651712, 1e-9);
    const centers = clusterMeans(pts, 3, ptsLabels, 3);
    expect(inertia(pts, 3, centers, ptsLabels)).to.be.closeTo(6.16, 1e-12);
  });

  it('assigns nearest centres (ties to the lowest index) and counts sizes', () => {
    const labels = assignLabels(Float64Array.from([0, 2.5, 5, 9]), 1, Float64Array.from([0, 5]), 2);
    expect([...labels]).to.deep.equal([0, 0, 1, 1]);
    expect(clusterSizes(Int32Array.from([2, 0, 2, 2]), 4)).to.deep.equal([1, 0, 3, 0]);
  });

  it('samples a seeded subset above the exact limit and reports its size', () => {
    const big = silhouette(pts, 3, ptsLabels, 3, { maxExact: 8, seed: 5 });
    expect(big.sample).to.equal(8);
    expect(big.value).to.equal(silhouette(pts, 3, ptsLabels, 3, { maxExact: 8, seed: 5 }).value); // same seed, same sample
    const exact = silhouette(pts, 3, ptsLabels, 3);
    expect(exact.sample).to.equal(11);
    expect(exact.value).to.be.closeTo(0.7782340892480597, 1e-12);
  });

  it('computes the exact silhouette of 4,338 points in well under a second', () => {
    const n = 4338;
    const x = new Float64Array(n * 3);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 4;
      for (let j = 0; j < 3; j++) x[i * 3 + j] = Math.sin(i * 12.9898 + j * 78.233) * 3 + labels[i]!;
    }
    const t = performance.now();
    const s = silhouetteExact(x, 3, labels, 4);
    expect(performance.now() - t).to.be.lessThan(1000);
    expect(s).to.be.within(-1, 1);
  });
});

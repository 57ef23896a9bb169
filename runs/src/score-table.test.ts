import { expect } from 'chai';
import {
  mulberry32,
  outlierThresholds,
  parseArtifact,
  Predictor,
  scoreRfm,
  serializeArtifact,
  transformRows,
  type ArtifactV1,
} from '@rfm/shared';
import { makeArtifact, parseArtifactV1Release } from '@rfm/shared/testing';
import { scoreTable } from './score-table.js';
import { OUTLIER_NO, OUTLIER_UNKNOWN, OUTLIER_YES } from './types.js';

/** n customers drawn around the artifact's centroids (in original units), seeded */
function population(a: ArtifactV1, n: number, seed: number) {
  const rnd = mulberry32(seed);
  const cids: string[] = [];
  const raw = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    const s = a.segments[i % a.k]!.centroid;
    const jitter = () => Math.exp((rnd() - 0.5) * 0.8);
    raw[i * 3] = Math.round(s.recency * jitter());
    raw[i * 3 + 1] = Math.max(1, Math.round(s.frequency * jitter()));
    raw[i * 3 + 2] = Math.round(s.monetary * jitter() * 100) / 100;
    cids.push(`c${String(i).padStart(6, '0')}`);
  }
  return { cids, raw };
}

function withThresholds(a: ArtifactV1, train: { raw: Float64Array }): ArtifactV1 {
  const z = transformRows({ mean: a.preprocessing.mean, scale: a.preprocessing.scale }, train.raw);
  const distance = outlierThresholds(z, Float64Array.from(a.centroids.flat()), a.k);
  // through the real artifact contract: the optional field survives serialisation and parsing
  const { bytes, sha256 } = serializeArtifact({ ...a, outliers: { percentile: 99, distance } });
  return parseArtifact(bytes, sha256);
}

describe('scoreTable', () => {
  it('gives each customer the Predictor cluster, its distance to that centroid, and quintile scores', () => {
    const a = makeArtifact();
    const t = population(a, 500, 1);
    const s = scoreTable(t, a);
    const p = new Predictor(a);
    for (let i = 0; i < 500; i++) {
      const [r, f, m] = [t.raw[i * 3]!, t.raw[i * 3 + 1]!, t.raw[i * 3 + 2]!];
      const c = p.predict(r, f, m);
      expect(s.cluster[i]).to.equal(c);
      const z = p.standardize(r, f, m);
      const d = Math.hypot(z[0] - a.centroids[c]![0], z[1] - a.centroids[c]![1], z[2] - a.centroids[c]![2]);
      expect(s.distance[i]).to.be.closeTo(d, 1e-12);
      const sc = scoreRfm({ recency: r, frequency: f, monetary: m }, a.quintiles);
      expect([s.rScore[i], s.fScore[i], s.mScore[i]]).to.deep.equal([sc.r, sc.f, sc.m]);
    }
  });

  it('flags about 1% of the training customers as outliers, and hand-made far-away customers', () => {
    const base = makeArtifact();
    const train = population(base, 20_000, 2);
    const a = withThresholds(base, train);
    const s = scoreTable(train, a);
    const flagged = s.outlier.reduce((n, o) => n + (o === OUTLIER_YES ? 1 : 0), 0);
    expect(flagged / 20_000).to.be.within(0.008, 0.012);
    expect(s.outlier.every((o) => o === OUTLIER_YES || o === OUTLIER_NO)).to.equal(true);
    // a customer sitting on a centroid is never an outlier; ones far out on every axis are
    const c0 = a.segments[0]!.centroid;
    const far = scoreTable(
      {
        cids: ['on-centre', 'whale', 'ancient', 'hyperactive'],
        raw: Float64Array.from([
          ...[c0.recency, c0.frequency, c0.monetary],
          ...[1, 2, 5_000_000],
          ...[20_000, 1, 1],
          ...[0, 5000, 100],
        ]),
      },
      a,
    );
    expect(Array.from(far.outlier)).to.deep.equal([OUTLIER_NO, OUTLIER_YES, OUTLIER_YES, OUTLIER_YES]);
  });

  it('reports no flag (unknown) for artifacts without thresholds, e.g. read by the released v1 loader', () => {
    const { naming: _n, ...rest } = makeArtifact();
    const v1 = { ...rest, schema_version: 1, segments: rest.segments.map(({ naming: _s, ...seg }) => seg) };
    const old = parseArtifactV1Release(Buffer.from(JSON.stringify(v1)));
    const s = scoreTable(
      { cids: ['a', 'whale'], raw: Float64Array.from([10, 2, 300, 1, 2, 5_000_000]) },
      old as ArtifactV1,
    );
    expect(Array.from(s.outlier)).to.deep.equal([OUTLIER_UNKNOWN, OUTLIER_UNKNOWN]);
    // and the current loader reads that same old file without the field
    expect(parseArtifact(Buffer.from(JSON.stringify(v1))).outliers).to.equal(undefined);
  });
});

import { LOST_BEYOND_GAPS, nameClusters, RECENT_WITHIN_GAPS, scoreRfm } from '../segments.js';
import { inverseTransform, type Scaler } from '../preprocess.js';
import { ARTIFACT_SCHEMA_VERSION, type Artifact } from '../schemas.js';

/**
 * A valid artifact built from hand-made standardized centroids, for tests of the registry and the
 * server that must not depend on training. Exported under `@rfm/shared/testing` only.
 */
export function makeArtifact(
  opts: { centroids?: [number, number, number][]; seed?: number; note?: string } = {},
): Artifact {
  const centroids = opts.centroids ?? [
    [-1.2, 1.1, 1.2],
    [1.3, -0.9, -1.0],
    [-0.6, -0.5, -0.4],
    [0.6, 0.4, 0.5],
  ];
  const scaler: Scaler = { mean: [3.5, 1.2, 6.5], scale: [1.3, 0.7, 1.2] };
  const q = { recency: [10, 30, 70, 180], frequency: [1, 1, 2, 5], monetary: [250, 500, 900, 2000] };
  const orig = centroids.map((c) => inverseTransform(scaler, c));
  const sizes = centroids.map((_, i) => 100 + i * 10);
  // The centroids stand in for the medians; a 45-day usual gap between purchases.
  const gap = 45;
  const named = nameClusters(
    orig.map((c, i) => ({ cluster: i, size: sizes[i]!, median: c, scores: scoreRfm(c, q) })),
    q,
    gap,
  );
  return {
    format: 'rfm.kmeans',
    schema_version: ARTIFACT_SCHEMA_VERSION,
    features: ['recency', 'frequency', 'monetary'],
    preprocessing: { transform: 'log1p', mean: scaler.mean, scale: scaler.scale },
    k: centroids.length,
    centroids,
    segments: named.map((n, i) => ({ ...n, centroid: orig[i]!, mean: orig[i]!, size: sizes[i]! })),
    quintiles: q,
    params: { k: centroids.length, seed: opts.seed ?? 42, n_init: 10, max_iter: 300, tol: 1e-4, init: 'k-means++' },
    naming: {
      rule: 'rhythm',
      usual_gap_days: gap,
      gap_basis: 'fixture',
      recent_within_gaps: RECENT_WITHIN_GAPS,
      lost_beyond_gaps: LOST_BEYOND_GAPS,
    },
    metrics: { inertia: 1234.5, silhouette: 0.33, silhouette_sample: 460, sizes, iterations: 12 },
    data: {
      source: { file: opts.note ?? 'fixture.csv', sha256: '0'.repeat(64), bytes: 0, format: 'csv' },
      rows_read: 1000,
      rows_kept: 900,
      rows_dropped: { missing_customer: 100 },
      customers: sizes.reduce((a, b) => a + b, 0),
      first_invoice: '2011-01-01T00:00:00',
      last_invoice: '2011-12-09T12:50:00',
      snapshot_date: '2011-12-10',
    },
    training: {
      backend: 'fixture',
      trained_at: new Date(0).toISOString(),
      duration_ms: 1,
      phases_ms: {},
      code_version: '0.1.0',
    },
  };
}

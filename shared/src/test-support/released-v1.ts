/**
 * The artifact contract and loader exactly as released with schema v1 (commit 498b7e8), frozen: a
 * server built before v2 runs this code. Tests load new artifacts through it to show what an old
 * server does with them (it must read them or refuse them cleanly). Do not edit; only imports moved.
 */
import { z } from 'zod';
import { RfmError } from '../errors.js';
import { sha256Hex } from '../hash.js';
import { zodIssues } from '../validate.js';

const triple = z.tuple([z.number(), z.number(), z.number()]);
const finite = z.number().refine(Number.isFinite, 'must be finite');

const RfmValuesSchema = z.object({ recency: finite, frequency: finite, monetary: finite });

const SegmentKeySchema = z.enum([
  'champions',
  'loyal_customers',
  'potential_loyalists',
  'new_customers',
  'promising',
  'need_attention',
  'about_to_sleep',
  'at_risk',
  'cant_lose_them',
  'hibernating',
  'lost',
]);

const ArtifactSegmentSchema = z.object({
  cluster: z.number().int().nonnegative(),
  key: SegmentKeySchema,
  name: z.string().min(1),
  description: z.string(),
  action: z.string(),
  scores: z.object({
    r: z.number().int().min(1).max(5),
    f: z.number().int().min(1).max(5),
    m: z.number().int().min(1).max(5),
  }),
  /** the centroid mapped back to original units (inverse of the preprocessing) */
  centroid: RfmValuesSchema,
  /** mean R, F, M of the cluster's training customers */
  mean: RfmValuesSchema,
  /** median R, F, M of the cluster's training customers (optional: absent in early v1 artifacts) */
  median: RfmValuesSchema.optional(),
  size: z.number().int().nonnegative(),
});

const DroppedRowsSchema = z.record(z.string(), z.number().int().nonnegative());

const DataSummarySchema = z.object({
  source: z.object({
    file: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().nonnegative(),
    format: z.enum(['csv', 'csv.gz', 'parquet', 'features']),
  }),
  rows_read: z.number().int().nonnegative(),
  rows_kept: z.number().int().nonnegative(),
  rows_dropped: DroppedRowsSchema,
  customers: z.number().int().positive(),
  first_invoice: z.string().nullable(),
  last_invoice: z.string().nullable(),
  snapshot_date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});

const KMeansParamsSchema = z.object({
  k: z.number().int().min(1).max(50),
  seed: z.number().int(),
  n_init: z.number().int().min(1),
  max_iter: z.number().int().min(1),
  tol: z.number().nonnegative(),
  init: z.literal('k-means++'),
  /**
   * 'lloyd': every restart is a full Lloyd run (as scikit-learn). 'lloyd-sampled-restarts' (large
   * data): the restarts run on a seeded sample of `restart_sample` customers and the best one's
   * centres start one full Lloyd run on all customers. Optional: absent in early v1 artifacts.
   */
  algorithm: z.enum(['lloyd', 'lloyd-sampled-restarts']).optional(),
  restart_sample: z.number().int().positive().optional(),
});

const MetricsSchema = z.object({
  inertia: finite,
  silhouette: z.number().min(-1).max(1).nullable(),
  /** customers the silhouette was computed on (all, or a seeded sample) */
  silhouette_sample: z.number().int().nonnegative(),
  sizes: z.array(z.number().int().nonnegative()),
  iterations: z.number().int().nonnegative(),
  davies_bouldin: z.number().nullable().optional(),
  calinski_harabasz: z.number().nullable().optional(),
});

/** One k of an automatic-k sweep: the elbow curve (inertia) and the silhouette that chose k. */
const SweepPointSchema = z.object({
  k: z.number().int().min(1),
  inertia: finite,
  silhouette: z.number().min(-1).max(1).nullable(),
  davies_bouldin: z.number().nullable().optional(),
  calinski_harabasz: z.number().nullable().optional(),
});

/** How k was chosen when it was not given (`rfm train --k auto`). */
const KSelectionSchema = z.object({
  method: z.literal('silhouette'),
  k_min: z.number().int().min(1),
  k_max: z.number().int().min(1),
  /** customers the silhouette of each k was computed on (all, or a seeded sample) */
  sample: z.number().int().nonnegative(),
});

const ARTIFACT_FORMAT = 'rfm.kmeans' as const;
const ARTIFACT_SCHEMA_VERSION = 1 as const;

const ArtifactV1Schema = z
  .object({
    format: z.literal(ARTIFACT_FORMAT),
    schema_version: z.literal(ARTIFACT_SCHEMA_VERSION),
    features: z.tuple([z.literal('recency'), z.literal('frequency'), z.literal('monetary')]),
    preprocessing: z.object({
      transform: z.literal('log1p'),
      mean: triple,
      scale: triple.refine((s) => s.every((x) => x > 0), 'scale must be positive'),
    }),
    k: z.number().int().min(1),
    /** centroids in the standardized space, k rows of 3 */
    centroids: z.array(triple),
    segments: z.array(ArtifactSegmentSchema),
    /** population quintile break points (20/40/60/80 %) used to score centroids 1–5 */
    quintiles: z.object({
      recency: z.array(finite).length(4),
      frequency: z.array(finite).length(4),
      monetary: z.array(finite).length(4),
    }),
    params: KMeansParamsSchema,
    metrics: MetricsSchema,
    /** present when k was chosen automatically: every k tried, and how the choice was made */
    sweep: z.array(SweepPointSchema).optional(),
    k_selection: KSelectionSchema.optional(),
    data: DataSummarySchema,
    training: z.object({
      backend: z.string(),
      trained_at: z.string(),
      duration_ms: z.number().nonnegative(),
      phases_ms: z.record(z.string(), z.number().nonnegative()),
      code_version: z.string(),
    }),
  })
  .superRefine((a, ctx) => {
    if (a.centroids.length !== a.k)
      ctx.addIssue({
        code: 'custom',
        path: ['centroids'],
        message: `expected ${a.k} centroids, found ${a.centroids.length}`,
      });
    if (a.segments.length !== a.k)
      ctx.addIssue({
        code: 'custom',
        path: ['segments'],
        message: `expected ${a.k} segments, found ${a.segments.length}`,
      });
    const clusters = new Set(a.segments.map((s) => s.cluster));
    for (let c = 0; c < a.k; c++)
      if (!clusters.has(c))
        ctx.addIssue({ code: 'custom', path: ['segments'], message: `cluster ${c} has no segment` });
    const names = a.segments.map((s) => s.name);
    if (new Set(names).size !== names.length)
      ctx.addIssue({ code: 'custom', path: ['segments'], message: 'segment names must be unique' });
  });
type ArtifactV1 = z.output<typeof ArtifactV1Schema>;

/**
 * Bytes read back → a checked artifact. Refuses (INVALID_INPUT) on a checksum mismatch, bytes
 * that are not JSON, an unknown format or schema version, or any field out of contract.
 */
export function parseArtifactV1Release(bytes: Uint8Array, expectedSha256?: string): ArtifactV1 {
  if (expectedSha256 !== undefined) {
    const actual = sha256Hex(bytes);
    if (actual !== expectedSha256)
      throw new RfmError(
        'INVALID_INPUT',
        `artifact checksum mismatch: expected sha256 ${expectedSha256}, found ${actual}`,
        {
          issues: [{ path: 'artifact', message: 'sha256 mismatch', expected: expectedSha256, found: actual }],
        },
      );
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new RfmError('INVALID_INPUT', 'artifact is not valid JSON', { cause: e });
  }
  const head = json as { format?: unknown; schema_version?: unknown };
  if (head?.format !== ARTIFACT_FORMAT || head?.schema_version !== ARTIFACT_SCHEMA_VERSION)
    throw new RfmError(
      'INVALID_INPUT',
      `unknown artifact format: expected ${ARTIFACT_FORMAT} v${ARTIFACT_SCHEMA_VERSION}, found ${String(head?.format)} v${String(head?.schema_version)}`,
    );
  const r = ArtifactV1Schema.safeParse(json);
  if (!r.success) {
    const issues = zodIssues(r.error, 'artifact');
    throw new RfmError(
      'INVALID_INPUT',
      `artifact does not match schema v1: ${issues[0]?.path}: ${issues[0]?.message}`,
      { issues },
    );
  }
  return r.data;
}

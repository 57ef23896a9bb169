import { NUMERIC_STRING } from './patterns.js';
import { z } from 'zod';

/**
 * The model contract. One schema per concept, used by the form, the JSON API, the CLI and the
 * artifact loader alike ("one schema, many uses").
 */

export const FEATURES = ['recency', 'frequency', 'monetary'] as const;
export type FeatureName = (typeof FEATURES)[number];

/** Limits a real customer can plausibly reach; beyond them the input is a mistake, not a customer. */
export const LIMITS = {
  recency: { min: 0, max: 36_500, unit: 'days' },
  frequency: { min: 1, max: 10_000_000, unit: 'purchases' },
  monetary: { min: 0, max: 1e12, unit: 'currency units' },
} as const;

export const MAX_BATCH = 10_000;

/** A number, or a string holding one (HTML forms and CSV send strings). Rejects '', NaN, Infinity. */
function numeric(field: FeatureName, opts: { int?: boolean } = {}) {
  const { min, max, unit } = LIMITS[field];
  const base = z
    .union([z.number(), z.string().trim()], { error: `${field} must be a number` })
    .transform((v, ctx) => {
      if (typeof v === 'string') {
        if (!NUMERIC_STRING.test(v)) {
          ctx.addIssue({ code: 'custom', message: `${field} must be a number, got "${v.slice(0, 40)}"` });
          return z.NEVER;
        }
        return Number(v);
      }
      return v;
    })
    .pipe(
      z
        .number({ error: `${field} must be a number` })
        .refine(Number.isFinite, { message: `${field} must be a finite number` })
        .refine((n) => n >= min, { message: `${field} must be at least ${min} (${unit})` })
        .refine((n) => n <= max, { message: `${field} must be at most ${max} (${unit})` })
        .refine((n) => !opts.int || Number.isInteger(n), { message: `${field} must be a whole number` }),
    );
  return base.meta({
    description: `${min}–${max} ${unit}${opts.int ? ', whole' : ''}; a number, or a string holding one`,
  });
}

const cidSchema = z
  .union([z.string().trim().max(64, { error: 'cid must be at most 64 characters' }), z.number().int().nonnegative()], {
    error: 'cid must be a string or a whole number',
  })
  .transform((v) => (v === '' ? null : String(v)))
  .nullable()
  .optional()
  .transform((v) => v ?? null);

/** Capitalised field names (CID, Recency, …) and lowercase ones are both accepted; mapped before parsing. */
const ALIASES: Record<string, string> = {
  CID: 'cid',
  Recency: 'recency',
  Frequency: 'frequency',
  Monetary: 'monetary',
};

function normalizeKeys(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    const key = ALIASES[k] ?? k;
    if (key in out && k !== key) continue; // the lowercase name wins when both are present
    out[key] = val;
  }
  return out;
}

export const CustomerFeaturesSchema = z
  .preprocess(
    normalizeKeys,
    z.strictObject(
      {
        cid: cidSchema,
        recency: numeric('recency'),
        frequency: numeric('frequency', { int: true }),
        monetary: numeric('monetary'),
      },
      {
        error: (iss) =>
          iss.code === 'unrecognized_keys'
            ? `unknown field(s): ${iss.keys.join(', ')}; expected cid, recency, frequency, monetary`
            : 'expected an object with recency, frequency, monetary',
      },
    ),
  )
  .meta({
    id: 'CustomerFeatures',
    description:
      "One customer's recency (days since the last purchase), frequency (distinct purchases) and monetary (total spent). The capitalised names CID, " +
      'Recency, Frequency, Monetary are accepted as well.',
    example: { cid: '12346', recency: 325, frequency: 1, monetary: 77183.6 },
  });
export type CustomerFeatures = z.output<typeof CustomerFeaturesSchema>;

export const BatchRequestSchema = z
  .strictObject({
    instances: z
      .array(CustomerFeaturesSchema, { error: 'instances must be an array of customers' })
      .min(1, { error: 'instances must hold at least one customer' })
      .max(MAX_BATCH, { error: `instances may hold at most ${MAX_BATCH} customers` }),
  })
  .meta({ id: 'BatchRequest', description: `Up to ${MAX_BATCH} customers, answered in order` });

/** POST /api/v1/predict: one customer, or {instances: [...]} of up to MAX_BATCH (for docs). */
export const PredictRequestSchema = z.union([BatchRequestSchema, CustomerFeaturesSchema]);
export type PredictRequest = z.output<typeof PredictRequestSchema>;

/**
 * Same contract as PredictRequestSchema, but picks the branch first (by the `instances` key) so
 * an error names the exact field (`instances.3.recency`) instead of "no union member matched".
 */
export function predictRequestBranch(body: unknown): typeof BatchRequestSchema | typeof CustomerFeaturesSchema {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && 'instances' in body
    ? BatchRequestSchema
    : CustomerFeaturesSchema;
}

/** A prediction's outlier flag (one description for every answer that carries it). */
export const OUTLIER_FIELD = z
  .boolean()
  .nullable()
  .meta({
    description:
      "true when the customer is further from its segment's centre than 99% of the training customers of that segment: " +
      'its numbers may not fit the name (null: the version stored no thresholds)',
  });

export const PredictionSchema = z
  .object({
    cid: z.string().nullable(),
    cluster: z.number().int(),
    segment: z.string(),
    outlier: OUTLIER_FIELD,
  })
  .meta({ id: 'Prediction' });
export type Prediction = z.output<typeof PredictionSchema>;

export const PredictResponseSchema = z
  .object({
    model_name: z.string(),
    model_version: z.number().int(),
    predictions: z.array(PredictionSchema),
  })
  .meta({ id: 'PredictResponse', description: 'The version that answered, and one prediction per customer, in order' });
export type PredictResponse = z.output<typeof PredictResponseSchema>;

// ---------------------------------------------------------------------------------------------
// Artifact v1: everything serving needs, self-describing, checked on every load.
// ---------------------------------------------------------------------------------------------

const triple = z.tuple([z.number(), z.number(), z.number()]);
const finite = z.number().refine(Number.isFinite, 'must be finite');

export const RfmValuesSchema = z.object({ recency: finite, frequency: finite, monetary: finite });
export type RfmValues = z.output<typeof RfmValuesSchema>;

export const SegmentKeySchema = z.enum([
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
export type SegmentKey = z.output<typeof SegmentKeySchema>;

/**
 * Why a segment has its name (artifact v2). `rule`: 'region' = the catalogue name of the region its
 * rhythm-judged scores fall in; 'nearest' = that name's description contradicted the segment's
 * medians, so the nearest name that holds; 'descriptive' = no catalogue name holds, a plain one
 * ("Inactive one-time buyers"). The display name is `base_name`, plus ` — qualifier` when clusters
 * share a name; the segment's `key` stays a catalogue key either way.
 */
export const SegmentNamingSchema = z.object({
  rule: z.enum(['region', 'nearest', 'descriptive']),
  region: SegmentKeySchema,
  base_name: z.string().min(1),
  qualifier: z.string().min(1).nullable(),
  /** the median recency in usual gaps between purchases */
  recency_gaps: finite,
  /** plain-words facts behind the name, as shown on the version page */
  because: z.array(z.string()).min(1),
  /** names tried before this one and the fact that contradicted each */
  rejected: z.array(z.object({ key: SegmentKeySchema, why: z.string() })),
});
export type SegmentNaming = z.output<typeof SegmentNamingSchema>;

export const ArtifactSegmentSchema = z.object({
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
  /** how the name was decided and why (artifact v2; absent in v1) */
  naming: SegmentNamingSchema.optional(),
});
export type ArtifactSegment = z.output<typeof ArtifactSegmentSchema>;

export const DroppedRowsSchema = z.record(z.string(), z.number().int().nonnegative());

/**
 * How often the shop's repeat customers buy: the median, over customers with 2 or more purchases,
 * of (last − first purchase day) / (purchases − 1). `basis`: 'transactions' when measured from the
 * export's dates; 'rfm_table' for --features, where first purchases are unknown and the gap is
 * bounded by (data span − recency) / (frequency − 1) instead.
 */
export const PurchaseRhythmSchema = z.object({
  median_gap_days: z.number().nonnegative().nullable(),
  repeat_customers: z.number().int().nonnegative(),
  /** days from the first to the last kept purchase (or the largest recency, for --features) */
  span_days: z.number().nonnegative(),
  basis: z.enum(['transactions', 'rfm_table']),
});
export type PurchaseRhythm = z.output<typeof PurchaseRhythmSchema>;

export const DataSummarySchema = z.object({
  source: z.object({
    file: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().nonnegative(),
    // 'xlsx' is new: a server older than it refuses such an artifact cleanly (schema error, old version kept)
    format: z.enum(['csv', 'csv.gz', 'parquet', 'xlsx', 'features']),
  }),
  rows_read: z.number().int().nonnegative(),
  rows_kept: z.number().int().nonnegative(),
  rows_dropped: DroppedRowsSchema,
  customers: z.number().int().positive(),
  first_invoice: z.string().nullable(),
  last_invoice: z.string().nullable(),
  snapshot_date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  /** the shop's purchase rhythm, measured by training (optional: absent before artifact v2) */
  purchase_rhythm: PurchaseRhythmSchema.optional(),
  // The fields below are optional (absent in artifacts trained before them; older servers drop them).
  /** what frequency counts: distinct invoices, distinct purchase days, or rows */
  frequency_basis: z.enum(['invoices', 'days', 'rows']).optional(),
  /** the same said in words, e.g. "frequency = distinct purchase days: the export has no invoice column" */
  frequency_note: z.string().optional(),
  /** how the export was read: encoding, dialect when rfm had to infer it, column layout, date format, notes */
  reader: z
    .object({
      encoding: z.string(),
      dialect: z.string().optional(),
      layout: z.string(),
      date_format: z.string().optional(),
      notes: z.array(z.string()),
    })
    .optional(),
  /** the first rejected rows of each drop reason: line number (header = 1) and the offending value */
  rejected_samples: z
    .record(z.string(), z.array(z.object({ line: z.number().int().nonnegative(), value: z.string() })))
    .optional(),
});
export type DataSummary = z.output<typeof DataSummarySchema>;

export const KMeansParamsSchema = z.object({
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
export type KMeansParams = z.output<typeof KMeansParamsSchema>;

export const MetricsSchema = z.object({
  inertia: finite,
  silhouette: z.number().min(-1).max(1).nullable(),
  /** customers the silhouette was computed on (all, or a seeded sample) */
  silhouette_sample: z.number().int().nonnegative(),
  sizes: z.array(z.number().int().nonnegative()),
  iterations: z.number().int().nonnegative(),
  davies_bouldin: z.number().nullable().optional(),
  calinski_harabasz: z.number().nullable().optional(),
});
export type Metrics = z.output<typeof MetricsSchema>;

/** One k of an automatic-k sweep: the elbow curve (inertia) and the silhouette that chose k. */
export const SweepPointSchema = z.object({
  k: z.number().int().min(1),
  inertia: finite,
  silhouette: z.number().min(-1).max(1).nullable(),
  davies_bouldin: z.number().nullable().optional(),
  calinski_harabasz: z.number().nullable().optional(),
  /** the smallest segment's share of the customers at this k (v2) */
  smallest_share: z.number().min(0).max(1).optional(),
});
export type SweepPoint = z.output<typeof SweepPointSchema>;

/**
 * How k was chosen when it was not given (`rfm train --k auto`). v1: 'silhouette' (the highest).
 * v2: 'knee+silhouette+min-share' — see training's chooseK; `reason` says why this k in words,
 * `runner_up` the next best k and why it lost, `min_share` the smallest segment share allowed, `knee`
 * the inertia curve's knee.
 */
export const KSelectionSchema = z.object({
  method: z.enum(['silhouette', 'knee+silhouette+min-share']),
  k_min: z.number().int().min(1),
  k_max: z.number().int().min(1),
  /** customers the silhouette of each k was computed on (all, or a seeded sample) */
  sample: z.number().int().nonnegative(),
  knee: z.number().int().min(1).nullable().optional(),
  min_share: z.number().min(0).max(1).optional(),
  reason: z.string().optional(),
  runner_up: z
    .object({ k: z.number().int().min(1), reason: z.string() })
    .nullable()
    .optional(),
});
export type KSelection = z.output<typeof KSelectionSchema>;

export const ARTIFACT_FORMAT = 'rfm.kmeans' as const;
/**
 * The version training writes. v2 (this version) adds how each segment was named (`segments[].naming`,
 * `naming`, `data.purchase_rhythm`) and lets clusters share a catalogue key; v1 servers refuse a v2
 * artifact by its version ("unknown artifact format"), and keep serving what they had. v1 artifacts
 * still load here.
 */
export const ARTIFACT_SCHEMA_VERSION = 2 as const;
export const ARTIFACT_SCHEMA_VERSIONS = [1, 2] as const;

/** How names were decided for the whole model (artifact v2). */
export const NamingRuleSchema = z.object({
  rule: z.literal('rhythm'),
  /** the usual gap between purchases the names were judged against, in days */
  usual_gap_days: z.number().positive(),
  /** where that gap came from, in words */
  gap_basis: z.string(),
  recent_within_gaps: z.number().positive(),
  lost_beyond_gaps: z.number().positive(),
});
export type NamingRule = z.output<typeof NamingRuleSchema>;

export const ArtifactSchema = z
  .object({
    format: z.literal(ARTIFACT_FORMAT),
    schema_version: z.union([z.literal(1), z.literal(2)]),
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
    /** how names were decided (v2) */
    naming: NamingRuleSchema.optional(),
    /**
     * Per cluster, the 99th percentile of the training customers' distances to their centroid in the
     * standardized space (null: no training customer in it); scoring flags customers further out.
     * Optional: artifacts trained before it load and simply report no outlier flag.
     */
    outliers: z
      .object({ percentile: z.number().gt(0).lt(100), distance: z.array(finite.nonnegative().nullable()) })
      .optional(),
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
    if (a.outliers && a.outliers.distance.length !== a.k)
      ctx.addIssue({
        code: 'custom',
        path: ['outliers', 'distance'],
        message: `expected ${a.k} distances, found ${a.outliers.distance.length}`,
      });
    if (a.schema_version >= 2) {
      if (!a.naming) ctx.addIssue({ code: 'custom', path: ['naming'], message: 'required from schema v2' });
      a.segments.forEach((s, i) => {
        if (!s.naming)
          ctx.addIssue({ code: 'custom', path: ['segments', i, 'naming'], message: 'required from schema v2' });
      });
    } else {
      // v1 files have no naming record and only the silhouette k choice; hold them to that.
      if (a.naming) ctx.addIssue({ code: 'custom', path: ['naming'], message: 'not part of schema v1' });
      if (a.k_selection && a.k_selection.method !== 'silhouette')
        ctx.addIssue({ code: 'custom', path: ['k_selection', 'method'], message: "schema v1 knows only 'silhouette'" });
    }
  });
/** An artifact of any version this code reads (v1 or v2); v1 simply lacks the naming fields. */
export type Artifact = z.output<typeof ArtifactSchema>;
/** @deprecated the name from before v2; the same type as `Artifact` (kept so callers need not change). */
export type ArtifactV1 = Artifact;
/** @deprecated use ArtifactSchema (reads v1 and v2). */
export const ArtifactV1Schema = ArtifactSchema;

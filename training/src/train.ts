import { fitScaler, RfmError, transformRows, type ArtifactSegment, type ArtifactV1, type DataSummary, type KMeansParams, type Metrics } from '@rfm/shared';
import { Registry } from '@rfm/registry';
import { buildArtifact } from './artifact.js';
import type { ColumnMapping } from './import/columns.js';
import { readExport } from './import/export-reader.js';
import { readFeatures } from './import/features-reader.js';
import { selectBackend, type BackendPreference } from './kmeans/backend.js';
import { kmeans } from './kmeans/kmeans.js';
import { calinskiHarabasz, daviesBouldin, silhouette } from './metrics/metrics.js';
import { nameSegments } from './naming.js';
import { parseFitOptions } from './options.js';
import type { RfmTable } from './rfm-table.js';
import { CODE_VERSION } from './version.js';

export type TrainInput = { exportPath: string; featuresPath?: undefined } | { featuresPath: string; exportPath?: undefined };

export type TrainPhase = 'backend_init' | 'read_clean_aggregate' | 'read_features' | 'preprocess' | 'fit' | 'evaluate' | 'name' | 'register';

export interface TrainOptions {
  k?: number;
  seed?: number;
  nInit?: number;
  maxIter?: number;
  tol?: number;
  /** snapshot date YYYY-MM-DD */
  asOf?: string;
  columns?: ColumnMapping;
  dateFormat?: string;
  backend?: BackendPreference;
  registryPath: string;
  modelName: string;
  actor: string;
  description?: string;
  tags?: Record<string, string>;
  promote?: boolean;
  /** phase starts and restart results, for a person watching a terminal */
  onProgress?: (message: string) => void;
}

export interface TrainResult {
  model: string;
  version: number;
  sha256: string;
  aliases: string[];
  promoted: boolean;
  registry: string;
  k: number;
  backend: string;
  params: KMeansParams;
  metrics: Metrics;
  data: DataSummary;
  segments: ArtifactSegment[];
  /** per phase, including register (which the stored artifact cannot contain) */
  phases_ms: Record<string, number>;
  duration_ms: number;
  /** date format used for a text date column ('typed' for timestamps); absent for --features */
  date_format?: string;
  /** inertia of each k-means restart; the lowest was kept */
  run_inertias: number[];
}

const round1 = (ms: number) => Math.round(ms * 10) / 10;

/** Times each phase; the record is what `training.phases_ms` holds. */
class Stopwatch {
  readonly phases: Record<string, number> = {};
  private readonly start = performance.now();
  async time<T>(phase: TrainPhase, fn: () => Promise<T> | T): Promise<T> {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      this.phases[phase] = round1(performance.now() - t);
    }
  }
  total(): number {
    return round1(performance.now() - this.start);
  }
}

/**
 * The whole train command: export (or a ready RFM table) → clean + aggregate → log1p + standardize
 * → k-means → metrics → names → artifact v1 → one registry transaction. Nothing is registered
 * unless every step succeeded and the artifact passed the schema.
 */
export async function train(input: TrainInput, options: TrainOptions): Promise<TrainResult> {
  const fit = parseFitOptions({ ...options });
  const progress = options.onProgress ?? (() => {});
  const watch = new Stopwatch();

  // Backend first: a backend that cannot start fails the command before the export is read.
  const { tf, backend } = await watch.time('backend_init', () => selectBackend(options.backend));

  let table: RfmTable;
  let data: DataSummary;
  let dateFormat: string | undefined;
  if (input.featuresPath !== undefined) {
    progress(`reading RFM table ${input.featuresPath}`);
    ({ table, summary: data } = await watch.time('read_features', () => readFeatures(input.featuresPath, { asOf: fit.asOf })));
  } else {
    progress(`reading ${input.exportPath}`);
    ({ table, summary: data, dateFormat } = await watch.time('read_clean_aggregate', () =>
      readExport(input.exportPath, { columns: options.columns, dateFormat: fit.dateFormat, asOf: fit.asOf }),
    ));
    progress(`${data.rows_read} rows read, ${data.rows_kept} kept, ${data.customers} customers, snapshot ${data.snapshot_date}`);
  }
  const n = table.cids.length;
  if (n < fit.k)
    throw new RfmError('INVALID_INPUT', `k=${fit.k} needs at least ${fit.k} customers; the data has ${n}`, {
      issues: [{ path: 'k', message: 'more clusters than customers', expected: `at most ${n}`, found: String(fit.k) }],
    });

  const { scaler, z } = await watch.time('preprocess', () => {
    const scaler = fitScaler(table.raw);
    return { scaler, z: transformRows(scaler, table.raw) };
  });

  progress(`fitting k-means: k=${fit.k}, ${fit.nInit} restarts, seed ${fit.seed}, backend ${backend}`);
  const km = await watch.time('fit', () =>
    kmeans(tf, z, 3, { k: fit.k, seed: fit.seed, nInit: fit.nInit, maxIter: fit.maxIter, tol: fit.tol, onRun: (run, inertia, it) => progress(`  restart ${run + 1}/${fit.nInit}: inertia ${inertia.toFixed(2)} after ${it} iterations`) }),
  );

  progress('evaluating');
  const metrics: Metrics = await watch.time('evaluate', () => {
    const sil = silhouette(z, 3, km.labels, fit.k, { seed: fit.seed });
    const sizes = new Array<number>(fit.k).fill(0);
    for (const l of km.labels) sizes[l]!++;
    return {
      inertia: km.inertia,
      silhouette: sil.value,
      silhouette_sample: sil.sample,
      sizes,
      iterations: km.iterations,
      davies_bouldin: daviesBouldin(z, 3, km.labels, fit.k),
      calinski_harabasz: calinskiHarabasz(z, 3, km.labels, fit.k),
    };
  });

  const named = await watch.time('name', () => nameSegments(table, scaler, km.centers, km.labels, fit.k));
  const params: KMeansParams = { k: fit.k, seed: fit.seed, n_init: fit.nInit, max_iter: fit.maxIter, tol: fit.tol, init: 'k-means++' };
  const artifact: ArtifactV1 = buildArtifact({
    scaler,
    centers: km.centers,
    k: fit.k,
    segments: named.segments,
    quintiles: named.quintiles,
    params,
    metrics,
    data,
    training: { backend, trained_at: new Date().toISOString(), duration_ms: watch.total(), phases_ms: { ...watch.phases }, code_version: CODE_VERSION },
  });

  progress(`registering in ${options.registryPath}`);
  const reg = await watch.time('register', () => {
    const registry = Registry.open(options.registryPath);
    try {
      // The training customers go along, so later versions can be compared on the same people.
      return registry.register({ modelName: options.modelName, artifact, actor: options.actor, description: options.description, tags: options.tags, promote: options.promote, features: table });
    } finally {
      registry.close();
    }
  });

  return {
    model: reg.modelName,
    version: reg.version,
    sha256: reg.sha256,
    aliases: reg.aliases,
    promoted: reg.aliases.includes('production'),
    registry: options.registryPath,
    k: fit.k,
    backend,
    params,
    metrics,
    data,
    segments: artifact.segments,
    phases_ms: watch.phases,
    duration_ms: watch.total(),
    ...(dateFormat !== undefined ? { date_format: dateFormat } : {}),
    run_inertias: km.runInertias,
  };
}

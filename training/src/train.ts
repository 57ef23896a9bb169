import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  fitScaler,
  isRfmError,
  RfmError,
  transformRows,
  type ArtifactSegment,
  type ArtifactV1,
  type DataSummary,
  type KMeansParams,
  type KSelection,
  type NamingRule,
  type Metrics,
  type SweepPoint,
  OUTLIER_PERCENTILE,
  outlierThresholds,
} from '@rfm/shared';
import { buildArtifact } from './artifact.js';
import { readExport, readFeatures, type ColumnMapping, type RfmTable } from '@rfm/ingest';
import { selectBackend, type BackendPreference } from './kmeans/backend.js';
import { K_DEFAULTS } from './kmeans/choose-k.js';
import { fitKMeans, sweepK, type FitResult } from './kmeans/fit.js';
import { calinskiHarabasz, daviesBouldin, silhouette } from './metrics/metrics.js';
import { nameSegments } from './naming.js';
import { estimateRhythm } from './rhythm.js';
import { exportReadOptions, parseFitOptions } from './options.js';
import { checkPromoteOptions, promoteThroughPolicy, type PromotionOutcome } from './promote.js';
import { CODE_VERSION } from './version.js';

export type TrainInput =
  | { exportPath: string; featuresPath?: undefined }
  | { featuresPath: string; exportPath?: undefined };

export type TrainPhase =
  | 'backend_init'
  | 'read_clean_aggregate'
  | 'read_features'
  | 'preprocess'
  | 'fit'
  | 'evaluate'
  | 'name'
  | 'report'
  | 'register';

export interface TrainOptions {
  /** a number of clusters, or 'auto': fit kRange and choose by knee, silhouette and segment share */
  k?: number | 'auto';
  /** k tried by k = 'auto' (default 3…8) */
  kRange?: [number, number];
  /** also write the HTML training report to this file (it is always stored with the version) */
  reportPath?: string;
  seed?: number;
  nInit?: number;
  maxIter?: number;
  tol?: number;
  /** snapshot date YYYY-MM-DD */
  asOf?: string;
  columns?: ColumnMapping;
  dateFormat?: string;
  /** what frequency counts: invoices, distinct purchase days or rows (default by the export) */
  frequency?: 'invoices' | 'days' | 'rows';
  /** text encoding of a CSV export (default detected) */
  encoding?: string;
  /** decimal mark of number columns (default detected) */
  decimal?: ',' | '.';
  /** .xlsx: the sheet to read (default the first) */
  sheet?: string;
  backend?: BackendPreference;
  registryPath: string;
  modelName: string;
  actor: string;
  description?: string;
  tags?: Record<string, string>;
  /** ask for production: through the promotion policy unless this is the model's first version */
  promote?: boolean;
  /** with promote: override a policy refusal (needs reason; the override is recorded) */
  force?: boolean;
  /** why: kept with the promotion event */
  reason?: string;
  /** phase starts and restart results, for a person watching a terminal */
  onProgress?: (message: string) => void;
  /** the same moments as structured events (phase, step done of total), for a progress bar */
  onEvent?: (e: TrainEvent) => void;
}

export interface TrainEvent {
  phase: TrainPhase;
  /** steps finished in this phase (restarts, or k tried in a sweep) and how many there are */
  done?: number;
  total?: number;
  /** rows of the export read so far (after the read) */
  rows?: number;
  message: string;
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
  /** how the names were decided (the shop's usual gap between purchases) */
  naming: NamingRule;
  /** per phase, including register (which the stored artifact cannot contain) */
  phases_ms: Record<string, number>;
  duration_ms: number;
  /** date format used for a text date column ('typed' for timestamps); absent for --features */
  date_format?: string;
  /** inertia of each k-means restart; the lowest was kept */
  run_inertias: number[];
  /** every k tried when k was 'auto' */
  sweep?: SweepPoint[];
  k_selection?: KSelection;
  /** what --promote did: production moved through the policy (rules, forced) or the first version */
  promotion?: PromotionOutcome;
  /** where the HTML report was written (reportPath) */
  report_path?: string;
}

const round1 = (ms: number) => Math.round(ms * 10) / 10;

const noop = () => {};

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
  checkPromoteOptions(options);
  const auto = options.k === 'auto';
  const fit = parseFitOptions({ ...options, k: auto ? undefined : options.k });
  const [kMin, kMax] = options.kRange ?? [K_DEFAULTS.kMin, K_DEFAULTS.kMax];
  if (!(Number.isInteger(kMin) && Number.isInteger(kMax) && kMin >= 2 && kMax >= kMin && kMax <= 50))
    throw new RfmError('INVALID_INPUT', `--k-range ${kMin}..${kMax}: expected two whole numbers 2 ≤ min ≤ max ≤ 50`, {
      issues: [
        {
          path: '--k-range',
          message: 'invalid range',
          expected: 'MIN..MAX, 2 ≤ MIN ≤ MAX ≤ 50',
          found: `${kMin}..${kMax}`,
        },
      ],
    });
  const say = options.onProgress ?? (() => {});
  const event = options.onEvent ?? (() => {});
  const progress = (message: string, e?: Omit<TrainEvent, 'message'>) => {
    say(message);
    if (e) event({ ...e, message });
  };
  const watch = new Stopwatch();

  // The read starts first: DuckDB, the gzip inflating and the hashing run on other threads, while
  // this one loads TensorFlow.js and its backend, the registry (Kysely) and the report's ECharts
  // bundle: backend_init (0.1–0.15 s on a quiet machine) and the registry's ~260 modules overlap
  // the read instead of preceding it. The read's phase is timed from its start, so it overlaps
  // backend_init. A backend that cannot start still fails the command first (its error wins).
  let reading: Promise<{ table: RfmTable; summary: DataSummary; dateFormat?: string }>;
  const readStart = performance.now();
  let started!: () => void;
  const readStarted = new Promise<void>((r) => {
    started = r;
  });
  if (input.featuresPath !== undefined) {
    progress(`reading RFM table ${input.featuresPath}`, { phase: 'read_features' });
    reading = readFeatures(input.featuresPath, { asOf: fit.asOf });
    started();
  } else {
    progress(`reading ${input.exportPath}`, { phase: 'read_clean_aggregate' });
    reading = readExport(
      input.exportPath,
      { columns: options.columns, ...exportReadOptions(fit) },
      { onStarted: started },
    );
  }
  reading.catch(() => {}); // awaited below, after the backend
  // The loading below is synchronous work on this thread. It waits until the read has handed DuckDB
  // its long statement: started at once, it held up the read's own steps on this thread (pumping the
  // gzip inflate, loading DuckDB), which then waited behind each module evaluated.
  await Promise.race([readStarted, reading.then(noop, noop)]);
  const registryModule = import('@rfm/registry');
  registryModule.catch(() => {}); // awaited in the register phase
  const { tf, backend } = await watch.time('backend_init', () => selectBackend(options.backend));
  const reportModule = import('./report/report.js');
  reportModule.catch(() => {}); // awaited in the report phase

  const { table, summary: read, dateFormat } = await reading;
  let data: DataSummary = read;
  const readPhase = input.featuresPath !== undefined ? 'read_features' : 'read_clean_aggregate';
  watch.phases[readPhase] = round1(performance.now() - readStart);
  if (input.featuresPath === undefined) {
    progress(
      `${data.rows_read} rows read, ${data.rows_kept} kept, ${data.customers} customers, snapshot ${data.snapshot_date}`,
      { phase: readPhase, rows: data.rows_read },
    );
  }
  const n = table.cids.length;
  const needed = auto ? kMin + 1 : fit.k;
  if (n < needed)
    throw new RfmError(
      'INVALID_INPUT',
      auto
        ? `--k auto needs at least ${needed} customers to compare k = ${kMin}…${kMax}; the data has ${n}`
        : `k=${fit.k} needs at least ${fit.k} customers; the data has ${n}`,
      {
        issues: [
          {
            path: 'k',
            message: 'more clusters than customers',
            expected: `at most ${n}`,
            found: auto ? 'auto' : String(fit.k),
          },
        ],
      },
    );

  const { scaler, z } = await watch.time('preprocess', () => {
    const scaler = fitScaler(table.raw);
    return { scaler, z: transformRows(scaler, table.raw) };
  });

  const base = { seed: fit.seed, nInit: fit.nInit, maxIter: fit.maxIter, tol: fit.tol };
  let km: FitResult;
  let k = fit.k;
  let sweep: SweepPoint[] | undefined;
  let kSelection: KSelection | undefined;
  if (auto) {
    const total = Math.min(kMax, n - 1) - kMin + 1;
    progress(
      `choosing k: fitting k = ${kMin}…${Math.min(kMax, n - 1)}, ${fit.nInit} restarts each, seed ${fit.seed}, backend ${backend}`,
      { phase: 'fit', done: 0, total },
    );
    const sw = await watch.time('fit', () =>
      sweepK(tf, z, 3, {
        ...base,
        kMin,
        kMax,
        onK: (p, it) =>
          progress(
            `  k=${p.k}: inertia ${p.inertia.toFixed(2)}, silhouette ${p.silhouette === null ? 'n/a' : p.silhouette.toFixed(4)} (${it} iterations)`,
            { phase: 'fit', done: p.k - kMin + 1, total },
          ),
      }),
    );
    ({ fit: km, k, points: sweep } = sw);
    kSelection = {
      method: 'knee+silhouette+min-share',
      k_min: kMin,
      k_max: Math.min(kMax, n - 1),
      sample: sw.silhouetteSample,
      knee: sw.choice.knee,
      min_share: K_DEFAULTS.minShare,
      reason: sw.choice.reason,
      runner_up: sw.choice.runnerUp,
    };
    progress(`chose k=${k}: ${sw.choice.reason}`);
    if (sw.choice.runnerUp) progress(`  runner-up k=${sw.choice.runnerUp.k}: ${sw.choice.runnerUp.reason}`);
  } else {
    progress(`fitting k-means: k=${k}, ${fit.nInit} restarts, seed ${fit.seed}, backend ${backend}`, {
      phase: 'fit',
      done: 0,
      total: fit.nInit,
    });
    km = await watch.time('fit', () =>
      fitKMeans(tf, z, 3, {
        ...base,
        k,
        onRun: (run, inertia, it) =>
          progress(`  restart ${run + 1}/${fit.nInit}: inertia ${inertia.toFixed(2)} after ${it} iterations`, {
            phase: 'fit',
            done: run + 1,
            total: fit.nInit,
          }),
      }),
    );
  }
  if (km.algorithm === 'lloyd-sampled-restarts')
    progress(
      `  ${n} customers: restarts ran on a seeded sample of ${km.restartSample}, then one full Lloyd run from the best (inertia ${km.inertia.toFixed(2)})`,
    );

  progress('evaluating', { phase: 'evaluate' });
  const metrics: Metrics = await watch.time('evaluate', () => {
    const sil = silhouette(z, 3, km.labels, k, { seed: fit.seed });
    const sizes = new Array<number>(k).fill(0);
    for (const l of km.labels) sizes[l]!++;
    return {
      inertia: km.inertia,
      silhouette: sil.value,
      silhouette_sample: sil.sample,
      sizes,
      iterations: km.iterations,
      davies_bouldin: daviesBouldin(z, 3, km.labels, k),
      calinski_harabasz: calinskiHarabasz(z, 3, km.labels, k),
    };
  });

  // Names are judged against the shop's purchase rhythm: measured from the export's dates, or
  // bounded from the RFM table when there are none (--features).
  if (!data.purchase_rhythm) data = { ...data, purchase_rhythm: estimateRhythm(table) };
  const rhythm = data.purchase_rhythm!;
  const named = await watch.time('name', () => nameSegments(table, scaler, km.centers, km.labels, k, rhythm));
  const params: KMeansParams = {
    k,
    seed: fit.seed,
    n_init: fit.nInit,
    max_iter: fit.maxIter,
    tol: fit.tol,
    init: 'k-means++',
    algorithm: km.algorithm,
    ...(km.restartSample !== undefined ? { restart_sample: km.restartSample } : {}),
  };
  const artifact: ArtifactV1 = buildArtifact({
    scaler,
    centers: km.centers,
    k,
    segments: named.segments,
    quintiles: named.quintiles,
    naming: named.naming,
    params,
    metrics,
    // what scoring compares a customer's distance with to flag outliers (the same nearest-centre rule)
    outliers: { percentile: OUTLIER_PERCENTILE, distance: outlierThresholds(z, km.centers, k) },
    ...(sweep ? { sweep, k_selection: kSelection } : {}),
    data,
    training: {
      backend,
      trained_at: new Date().toISOString(),
      duration_ms: watch.total(),
      phases_ms: { ...watch.phases },
      code_version: CODE_VERSION,
    },
  });

  progress('writing the training report', { phase: 'report' });
  const report = await watch.time('report', async () => {
    // ECharts is loaded by train(), not when @rfm/training is imported (every rfm command imports it).
    const { renderReport } = await reportModule;
    const html = renderReport({
      artifact,
      table,
      labels: km.labels,
      seed: fit.seed,
      modelName: options.modelName,
      dateFormat,
    });
    if (options.reportPath) await writeFile(options.reportPath, html);
    return html;
  });

  progress(`registering in ${options.registryPath}`, { phase: 'register' });
  const registration = {
    modelName: options.modelName,
    artifact,
    actor: options.actor,
    description: options.description,
    tags: options.tags,
    // never `promote` here: the registry's register-time promote skips the policy; the first
    // version of a model still becomes production at registration ("first version of this model")
    // The training customers go along, so later versions can be compared on the same people.
    features: table,
    report,
  };
  const reg = await watch.time('register', async () => {
    try {
      const { Registry } = await registryModule;
      const registry = await Registry.open(options.registryPath);
      try {
        return await registry.register(registration);
      } finally {
        await registry.close();
      }
    } catch (e) {
      throw await savePending(e, registration, options);
    }
  });

  const promotion = options.promote ? await promoteThroughPolicy(options, reg) : null;
  const { PRODUCTION } = await registryModule;
  return {
    model: reg.modelName,
    version: reg.version,
    sha256: reg.sha256,
    promoted: reg.aliases.includes(PRODUCTION) || promotion !== null,
    aliases: promotion ? [...new Set([...reg.aliases, PRODUCTION])] : reg.aliases,
    ...(promotion ? { promotion } : {}),
    registry: options.registryPath,
    k,
    backend,
    params,
    metrics,
    data,
    segments: artifact.segments,
    naming: named.naming,
    phases_ms: watch.phases,
    duration_ms: watch.total(),
    ...(dateFormat !== undefined ? { date_format: dateFormat } : {}),
    run_inertias: km.runInertias,
    ...(sweep ? { sweep, k_selection: kSelection } : {}),
    ...(options.reportPath ? { report_path: options.reportPath } : {}),
  };
}

/**
 * The registry's database could not be reached (PostgreSQL down or restarting): the finished
 * model is not thrown away. It is saved as an export file (RFM_PENDING_DIR, default the current
 * folder) and the error says how to register it once the database is back.
 */
async function savePending(
  e: unknown,
  input: Parameters<typeof import('@rfm/registry').pendingExport>[0],
  options: TrainOptions,
): Promise<unknown> {
  if (!isRfmError(e) || e.code !== 'REGISTRY_UNAVAILABLE') return e;
  const dir = process.env.RFM_PENDING_DIR ?? process.cwd();
  const file = join(dir, `rfm-pending-${input.modelName}-${new Date().toISOString().replace(/[:.]/g, '-')}.rfm`);
  await mkdir(dir, { recursive: true });
  const { pendingExport } = await import('@rfm/registry');
  await writeFile(file, pendingExport(input));
  return new RfmError(
    'REGISTRY_UNAVAILABLE',
    `${e.message}; the trained model was saved to ${file}` +
      `: once the registry is back, register it with \`rfm models import ${file}${options.promote ? ' --promote' : ''}\``,
    { cause: e, details: { pending_file: file } },
  );
}

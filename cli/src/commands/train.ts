import type { Command } from 'commander';
import { RfmError, type Issue } from '@rfm/shared';
import type { FeaturesResult, TrainResult } from '@rfm/training';
import { emit, progress, table } from '../output.js';
import { actorOf, configFrom, withLocation } from './common.js';
import { trainProgress } from './train-progress.js';

export interface TrainFlags {
  registry?: string;
  model?: string;
  actor?: string;
  k?: string;
  seed?: string;
  nInit?: string;
  maxIter?: string;
  tol?: string;
  asOf?: string;
  columns?: string;
  dateFormat?: string;
  features?: string;
  promote?: boolean;
  description?: string;
  report?: string;
  json?: boolean;
}

export interface FeaturesFlags {
  out: string;
  columns?: string;
  dateFormat?: string;
  asOf?: string;
  json?: boolean;
}

// Training pulls in DuckDB and TensorFlow.js; load it only for the commands that need it, so
// `rfm models …` and `rfm serve` start fast.
const training = () => import('@rfm/training');

const FLAG_OF: Record<string, string> = {
  k: '--k',
  seed: '--seed',
  nInit: '--n-init',
  maxIter: '--max-iter',
  tol: '--tol',
  asOf: '--as-of',
  dateFormat: '--date-format',
};

/** Flags → validated fit options; issues name the flag (e.g. `--n-init`), not the internal field. */
async function fitOptions(o: {
  k?: string;
  seed?: string;
  nInit?: string;
  maxIter?: string;
  tol?: string;
  asOf?: string;
  dateFormat?: string;
}) {
  const { FitOptionsSchema, parseColumnMapping } = await training();
  const r = FitOptionsSchema.safeParse({
    k: o.k === 'auto' ? undefined : o.k,
    seed: o.seed,
    nInit: o.nInit,
    maxIter: o.maxIter,
    tol: o.tol,
    asOf: o.asOf,
    dateFormat: o.dateFormat,
  });
  if (!r.success) {
    const issues: Issue[] = r.error.issues.map((i) => {
      const key = String(i.path[0] ?? '');
      const raw = (o as Record<string, unknown>)[key];
      return { path: FLAG_OF[key] ?? key, message: i.message, ...(raw !== undefined ? { found: String(raw) } : {}) };
    });
    throw new RfmError('INVALID_INPUT', `invalid option ${issues[0]!.path}: ${issues[0]!.message}`, { issues });
  }
  return { fit: r.data, parseColumnMapping };
}

const int = (n: number) => n.toLocaleString('en-US');
const fix = (n: number | null | undefined, d: number) => (n === null || n === undefined ? 'n/a' : n.toFixed(d));

/** The one JSON object `rfm train --json` prints. */
export function trainJson(r: TrainResult): Record<string, unknown> {
  return {
    model: r.model,
    version: r.version,
    aliases: r.aliases,
    promoted: r.promoted,
    registry: r.registry,
    sha256: r.sha256,
    k: r.k,
    backend: r.backend,
    params: r.params,
    metrics: r.metrics,
    data: r.data,
    segments: Object.fromEntries(r.segments.map((s) => [String(s.cluster), s.name])),
    profiles: r.segments.map((s) => ({
      cluster: s.cluster,
      key: s.key,
      name: s.name,
      size: s.size,
      scores: s.scores,
      mean: s.mean,
      centroid: s.centroid,
    })),
    run_inertias: r.run_inertias,
    ...(r.sweep ? { sweep: r.sweep, k_selection: r.k_selection } : {}),
    ...(r.report_path !== undefined ? { report_path: r.report_path } : {}),
    ...(r.date_format !== undefined ? { date_format: r.date_format } : {}),
    phases_ms: r.phases_ms,
    duration_ms: r.duration_ms,
  };
}

export function trainText(r: TrainResult): string {
  const d = r.data;
  const dropped = Object.entries(d.rows_dropped).filter(([, n]) => n > 0);
  const m = r.metrics;
  const lines = [
    `registered ${r.model} v${r.version}${r.aliases.length ? ` [${r.aliases.join(', ')}]` : ''} in ${r.registry}`,
    `data      ${d.source.file}: ${int(d.rows_read)} rows read, ${int(d.rows_kept)} kept, ${int(d.customers)} customers, snapshot ${d.snapshot_date}`,
  ];
  if (d.source.format !== 'features')
    lines.push(`dropped   ${dropped.length ? dropped.map(([k, n]) => `${k} ${int(n)}`).join(', ') : 'none'}`);
  if (r.sweep && r.k_selection)
    lines.push(
      `k chosen  ${r.k} of ${r.k_selection.k_min}…${r.k_selection.k_max} by silhouette${r.k_selection.sample < d.customers ? ` (seeded sample of ${int(r.k_selection.sample)})` : ''}: ${r.sweep.map((p) => `k${p.k} ${fix(p.silhouette, 3)}`).join(', ')}`,
    );
  lines.push(
    `k-means   k=${r.k} seed=${r.params.seed} n_init=${r.params.n_init} on ${r.backend}: inertia ${fix(m.inertia, 2)}, silhouette ${fix(m.silhouette, 4)}${m.silhouette_sample < d.customers ? ` (sample of ${int(m.silhouette_sample)})` : ''}, Davies-Bouldin ${fix(m.davies_bouldin, 3)}, Calinski-Harabasz ${fix(m.calinski_harabasz, 1)}`,
    '',
    table(
      ['cluster', 'segment', 'customers', 'recency (d)', 'frequency', 'monetary', 'R', 'F', 'M'],
      r.segments.map((s) => [
        s.cluster,
        s.name,
        int(s.size),
        fix(s.mean.recency, 1),
        fix(s.mean.frequency, 1),
        fix(s.mean.monetary, 2),
        s.scores.r,
        s.scores.f,
        s.scores.m,
      ]),
    ),
    '',
    `time      ${Object.entries(r.phases_ms)
      .map(([k, ms]) => `${k} ${Math.round(ms)} ms`)
      .join(', ')}; total ${Math.round(r.duration_ms)} ms`,
  );
  if (r.report_path !== undefined) lines.push(`report    ${r.report_path} (also stored with the version)`);
  if (!r.promoted)
    lines.push(`production is unchanged; to serve this version: rfm models promote ${r.version} --model ${r.model}`);
  return lines.join('\n');
}

/** `rfm train` without commander (also used by quickstart). */
export async function runTrain(exportPath: string | undefined, o: TrainFlags): Promise<TrainResult> {
  if ((exportPath === undefined) === (o.features === undefined))
    throw new RfmError(
      'INVALID_INPUT',
      exportPath === undefined
        ? 'rfm train needs an export file, or --features FILE'
        : 'give either an export file or --features FILE, not both',
      {
        issues: [{ path: 'export', message: 'exactly one of <export> and --features', found: exportPath ?? '(none)' }],
      },
    );
  const cfg = configFrom(o);
  const { fit, parseColumnMapping } = await fitOptions(o);
  const { train } = await training();
  const bar = trainProgress(o);
  try {
    return await train(o.features !== undefined ? { featuresPath: o.features } : { exportPath: exportPath! }, {
      ...fit,
      k: o.k === 'auto' ? 'auto' : fit.k,
      ...(o.report !== undefined ? { reportPath: o.report } : {}),
      columns: o.columns !== undefined ? parseColumnMapping(o.columns) : undefined,
      backend: cfg.tfBackend,
      registryPath: cfg.registry,
      modelName: cfg.modelName,
      actor: actorOf(cfg),
      promote: o.promote === true,
      description: o.description,
      onProgress: bar.onProgress,
      onEvent: bar.onEvent,
    });
  } catch (e) {
    throw withLocation(e, cfg.registry);
  } finally {
    bar.stop();
  }
}

export function featuresText(r: FeaturesResult): string {
  const d = r.data;
  const dropped = Object.entries(d.rows_dropped).filter(([, n]) => n > 0);
  return [
    `wrote ${int(r.customers)} customers to ${r.out} (${r.format}: cid, recency, frequency, monetary)`,
    `data      ${d.source.file}: ${int(d.rows_read)} rows read, ${int(d.rows_kept)} kept, snapshot ${d.snapshot_date}`,
    `dropped   ${dropped.length ? dropped.map(([k, n]) => `${k} ${int(n)}`).join(', ') : 'none'}`,
  ].join('\n');
}

export function registerTrainCommands(program: Command): void {
  program
    .command('train')
    .description(
      'train a k-means segmentation on a transaction export (CSV, CSV.gz, Parquet) and register it as a new version',
    )
    .argument(
      '[export]',
      'transaction export: .csv, .csv.gz or .parquet (UCI Online Retail / Online Retail II columns, or map them with --columns)',
    )
    .option('--registry <path>', 'registry file (env RFM_REGISTRY, default data/registry.db)')
    .option('--model <name>', 'registered model name (env RFM_MODEL_NAME, default customer-segments)')
    .option('--k <n|auto>', 'number of clusters (default 4), or auto: fit k = 2…10 and keep the best silhouette')
    .option('--seed <n>', 'random seed; the same seed gives the same model (default 42)')
    .option('--n-init <n>', 'k-means++ restarts, the best is kept (default 10)')
    .option('--max-iter <n>', 'Lloyd iterations per restart at most (default 300)')
    .option('--tol <x>', 'convergence tolerance, relative to the mean feature variance (default 1e-4)')
    .option('--as-of <date>', 'snapshot date YYYY-MM-DD (default: the day after the last invoice)')
    .option('--columns <map>', 'column names: customer=…,invoice=…,date=…,quantity=…,price=… (or amount=…)')
    .option('--date-format <fmt>', 'strptime format of the date column, e.g. "%d/%m/%Y %H:%M" (default: detected)')
    .option('--features <file>', 'train on a ready RFM table (cid, recency, frequency, monetary) instead of an export')
    .option('--promote', 'make the new version production even if one exists (the first version always is)')
    .option('--description <text>', 'note stored with the version')
    .option(
      '--report <file>',
      'also write the HTML training report to this file (it is always stored with the version)',
    )
    .option('--actor <name>', 'who trains, recorded in the history (env RFM_ACTOR, default the OS user)')
    .option('--json', 'print one JSON object for machines')
    .action(async (exportPath: string | undefined, o: TrainFlags) => {
      const r = await runTrain(exportPath, o);
      emit(o, trainJson(r), () => trainText(r));
    });

  program
    .command('features')
    .description(
      'write the RFM table of an export (cid, recency, frequency, monetary) as CSV or Parquet, without training',
    )
    .argument('<export>', 'transaction export: .csv, .csv.gz or .parquet')
    .requiredOption('--out <file>', 'output file: .csv or .parquet')
    .option('--columns <map>', 'column names: customer=…,invoice=…,date=…,quantity=…,price=… (or amount=…)')
    .option('--date-format <fmt>', 'strptime format of the date column (default: detected)')
    .option('--as-of <date>', 'snapshot date YYYY-MM-DD (default: the day after the last invoice)')
    .option('--json', 'print one JSON object for machines')
    .action(async (exportPath: string, o: FeaturesFlags) => {
      const { fit, parseColumnMapping } = await fitOptions({ asOf: o.asOf, dateFormat: o.dateFormat });
      const { computeFeatures } = await training();
      progress(o)(`reading ${exportPath}`);
      const r = await computeFeatures(exportPath, o.out, {
        columns: o.columns !== undefined ? parseColumnMapping(o.columns) : undefined,
        dateFormat: fit.dateFormat,
        asOf: fit.asOf,
      });
      emit(o, r, () => featuresText(r));
    });
}

import type { Command } from 'commander';
import { loadsRuntime } from '../runtime.js';
import type { DataSummary } from '@rfm/shared';
import { RfmError } from '@rfm/shared/errors';
import type { FeaturesResult, TrainResult } from '@rfm/training';
import { emit, progress, segmentTable } from '../output.js';
import { actorOf, configFrom, withLocation } from './common.js';
import { addExportOptions, EXPORT_FLAG_NAMES, type ExportFlags, flagError } from './export-options.js';
import { jsonProgress, trainProgress } from './train-progress.js';

/** The k-means flags, as commander hands them over (strings, validated by fitOptions). */
interface KMeansFlags {
  k?: string;
  kRange?: string;
  seed?: string;
  nInit?: string;
  maxIter?: string;
  tol?: string;
}

export interface TrainFlags extends ExportFlags, KMeansFlags {
  registry?: string;
  model?: string;
  actor?: string;
  features?: string;
  promote?: boolean;
  force?: boolean;
  reason?: string;
  description?: string;
  report?: string;
  json?: boolean;
  progressJson?: boolean;
}

export interface FeaturesFlags extends ExportFlags {
  out: string;
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
  ...EXPORT_FLAG_NAMES,
};

/** Flags → validated fit options; issues name the flag (e.g. `--n-init`), not the internal field. */
async function fitOptions(o: KMeansFlags & Omit<ExportFlags, 'columns'>) {
  const { FitOptionsSchema, parseColumnMapping } = await training();
  const r = FitOptionsSchema.safeParse({
    k: o.k === 'auto' ? undefined : o.k,
    seed: o.seed,
    nInit: o.nInit,
    maxIter: o.maxIter,
    tol: o.tol,
    asOf: o.asOf,
    dateFormat: o.dateFormat,
    frequency: o.frequency,
    encoding: o.encoding,
    decimal: o.decimal,
    sheet: o.sheet,
  });
  if (!r.success) throw flagError(r.error, o, FLAG_OF);
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
    ...(r.promotion ? { promotion: r.promotion } : {}),
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
      median: s.median,
      centroid: s.centroid,
      ...(s.naming ? { naming: s.naming } : {}),
    })),
    run_inertias: r.run_inertias,
    ...(r.sweep ? { sweep: r.sweep, k_selection: r.k_selection } : {}),
    naming: r.naming,
    ...(r.report_path !== undefined ? { report_path: r.report_path } : {}),
    ...(r.date_format !== undefined ? { date_format: r.date_format } : {}),
    phases_ms: r.phases_ms,
    duration_ms: r.duration_ms,
  };
}

/** Why each segment has its name (artifact v2), one line each. */
function namingLines(r: TrainResult): string[] {
  if (!r.naming) return [];
  return [
    '',
    `names     judged against a usual gap of ${fix(r.naming.usual_gap_days, 1)} days between purchases (${r.naming.gap_basis})`,
    ...r.segments.filter((s) => s.naming).map((s) => `  ${s.name}: ${s.naming!.because.join('; ')}`),
  ];
}

/** How the export was read, what frequency counts, and the first rejected rows of each reason. */
export function readerLines(d: DataSummary): string[] {
  const out: string[] = [];
  if (d.reader) {
    out.push(
      `read      ${d.reader.encoding}; ${d.reader.layout}` +
        (d.reader.dialect ? `; ${d.reader.dialect}` : '') +
        (d.reader.date_format ? `; dates ${d.reader.date_format}` : ''),
    );
    for (const n of d.reader.notes) out.push(`          ${n}`);
  }
  if (d.frequency_note) out.push(`frequency ${d.frequency_note}`);
  const unit = d.source.format === 'parquet' ? 'row' : 'line';
  for (const [reason, rows] of Object.entries(d.rejected_samples ?? {}))
    if (rows.length)
      out.push(
        `rejected  ${reason}: ${rows.map((x) => `${unit} ${x.line} ${JSON.stringify(x.value)}`).join(', ')}` +
          ((d.rows_dropped[reason] ?? 0) > rows.length ? ', …' : ''),
      );
  return out;
}

export function trainText(r: TrainResult): string {
  const d = r.data;
  const dropped = Object.entries(d.rows_dropped).filter(([, n]) => n > 0);
  const m = r.metrics;
  const lines = [
    `registered ${r.model} v${r.version}${r.aliases.length ? ` [${r.aliases.join(', ')}]` : ''} in ${r.registry}`,
    `data      ${d.source.file}: ${int(d.rows_read)} rows read, ${int(d.rows_kept)} kept, ${int(d.customers)} customers, snapshot ${d.snapshot_date}`,
  ];
  if (d.source.format !== 'features') {
    lines.push(`dropped   ${dropped.length ? dropped.map(([k, n]) => `${k} ${int(n)}`).join(', ') : 'none'}`);
    lines.push(...readerLines(d));
  }
  if (r.sweep && r.k_selection) {
    const ks = r.k_selection;
    lines.push(
      `k chosen  ${r.k} of ${ks.k_min}…${ks.k_max}: ${ks.reason ?? 'highest silhouette'}`,
      `          silhouette${ks.sample < d.customers ? ` (seeded sample of ${int(ks.sample)})` : ''}: ` +
        r.sweep.map((p) => `k${p.k} ${fix(p.silhouette, 3)}`).join(', '),
    );
    if (ks.runner_up) lines.push(`runner-up k=${ks.runner_up.k}: ${ks.runner_up.reason}`);
  }
  lines.push(
    `k-means   k=${r.k} seed=${r.params.seed} n_init=${r.params.n_init} on ${r.backend}: inertia ${fix(m.inertia, 2)}, silhouette ` +
      `${fix(m.silhouette, 4)}${m.silhouette_sample < d.customers ? ` (sample of ${int(m.silhouette_sample)})` : ''}, Davies-Bouldin ` +
      `${fix(m.davies_bouldin, 3)}, Calinski-Harabasz ${fix(m.calinski_harabasz, 1)}`,
    '',
    segmentTable(r.segments),
    ...namingLines(r),
    '',
    `time      ${Object.entries(r.phases_ms)
      .map(([k, ms]) => `${k} ${Math.round(ms)} ms`)
      .join(', ')}; total ${Math.round(r.duration_ms)} ms`,
  );
  if (r.report_path !== undefined) lines.push(`report    ${r.report_path} (also stored with the version)`);
  const p = r.promotion;
  if (p && !p.first_version)
    lines.push(
      `promoted  production v${p.from ?? '-'} → v${p.to}` +
        (p.forced
          ? `, FORCED past the policy (${p.rules.filter((x) => !x.passed).length} rule(s) failed)`
          : `; policy: ${p.rules.length} rule(s) passed`),
    );
  if (!r.promoted)
    lines.push(`production is unchanged; to serve this version: rfm models promote ${r.version} --model ${r.model}`);
  return lines.join('\n');
}

/** `--k-range 3..8` (also 3-8, 3:8) → [3, 8]; the range itself is checked by train(). */
export function parseKRange(text: string): [number, number] {
  const m = /^\s*(\d+)\s*(?:\.\.|-|:|…)\s*(\d+)\s*$/.exec(text);
  if (!m)
    throw new RfmError('INVALID_INPUT', `invalid option --k-range: expected MIN..MAX such as 3..8, got "${text}"`, {
      issues: [{ path: '--k-range', message: 'expected MIN..MAX', expected: '3..8', found: text }],
    });
  return [Number(m[1]), Number(m[2])];
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
  const actor = actorOf(cfg); // with RFM_USERS: an admin's RFM_TOKEN, checked before any work
  const { fit, parseColumnMapping } = await fitOptions(o);
  const { train } = await training();
  const bar = o.progressJson ? jsonProgress() : trainProgress(o);
  try {
    return await train(o.features !== undefined ? { featuresPath: o.features } : { exportPath: exportPath! }, {
      ...fit,
      k: o.k === 'auto' ? 'auto' : fit.k,
      ...(o.kRange !== undefined ? { kRange: parseKRange(o.kRange) } : {}),
      ...(o.report !== undefined ? { reportPath: o.report } : {}),
      columns: o.columns !== undefined ? parseColumnMapping(o.columns) : undefined,
      backend: cfg.tfBackend,
      registryPath: cfg.registry,
      modelName: cfg.modelName,
      actor,
      promote: o.promote === true,
      force: o.force === true,
      ...(o.reason !== undefined ? { reason: o.reason } : {}),
      description: o.description,
      onProgress: bar.onProgress,
      onEvent: bar.onEvent,
    });
  } catch (e) {
    throw await withLocation(e, cfg.registry);
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
    ...readerLines(d),
  ].join('\n');
}

export function registerTrainCommands(program: Command): void {
  loadsRuntime(program);
  const train = program
    .command('train')
    .description(
      'train a k-means segmentation on a transaction export (CSV, CSV.gz, XLSX, Parquet) and register it as a new version',
    )
    .argument(
      '[export]',
      'transaction export: .csv, .csv.gz, .xlsx or .parquet (UCI Online Retail / Online Retail II columns,' +
        ' Shopify and WooCommerce order exports, or map them with --columns)',
    )
    .option('--registry <path>', 'registry file (env RFM_REGISTRY, default data/registry.db)')
    .option('--model <name>', 'registered model name (env RFM_MODEL_NAME, default customer-segments)')
    .option(
      '--k <n|auto>',
      'number of clusters (default 4), or auto: fit every k of --k-range and choose by the knee of inertia, silhouette and smallest segment share',
    )
    .option('--k-range <min..max>', 'k tried by --k auto (default 3..8)')
    .option('--seed <n>', 'random seed; the same seed gives the same model (default 42)')
    .option('--n-init <n>', 'k-means++ restarts, the best is kept (default 10)')
    .option('--max-iter <n>', 'Lloyd iterations per restart at most (default 300)')
    .option('--tol <x>', 'convergence tolerance, relative to the mean feature variance (default 1e-4)');
  addExportOptions(train)
    .option('--features <file>', 'train on a ready RFM table (cid, recency, frequency, monetary) instead of an export')
    .option(
      '--promote',
      'make the new version production if the promotion policy allows (the first version always is); a refusal exits 78 and leaves it a candidate',
    )
    .option('--force', 'with --promote: override a policy refusal (needs --reason; recorded with the event)')
    .option('--reason <text>', 'why this version is promoted, kept in the history')
    .option('--description <text>', 'note stored with the version')
    .option(
      '--report <file>',
      'also write the HTML training report to this file (it is always stored with the version)',
    )
    .option('--actor <name>', 'who trains, recorded in the history (env RFM_ACTOR, default the OS user)')
    .option('--json', 'print one JSON object for machines')
    .option('--progress-json', 'write progress as one JSON object per line on stderr (for programs that run rfm train)')
    .action(async (exportPath: string | undefined, o: TrainFlags) => {
      const r = await runTrain(exportPath, o);
      emit(o, trainJson(r), () => trainText(r));
    });

  const features = program
    .command('features')
    .description(
      'write the RFM table of an export (cid, recency, frequency, monetary) as CSV or Parquet, without training',
    )
    .argument('<export>', 'transaction export: .csv, .csv.gz, .xlsx or .parquet')
    .requiredOption('--out <file>', 'output file: .csv or .parquet');
  addExportOptions(features)
    .option('--json', 'print one JSON object for machines')
    .action(async (exportPath: string, o: FeaturesFlags) => {
      const { fit, parseColumnMapping } = await fitOptions(o); // reads the export flags only: no k-means flags here
      const { computeFeatures, exportReadOptions } = await training();
      progress(o)(`reading ${exportPath}`);
      const r = await computeFeatures(exportPath, o.out, {
        columns: o.columns !== undefined ? parseColumnMapping(o.columns) : undefined,
        ...exportReadOptions(fit),
      });
      emit(o, r, () => featuresText(r));
    });
}

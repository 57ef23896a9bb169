import type { Command } from 'commander';
import { RfmError } from '@rfm/shared/errors';
import type { PRODUCTION as REGISTRY_PRODUCTION, Registry, RunRecord } from '@rfm/registry';
import { emit, progress } from '../output.js';
import { loadsRuntime, runtime } from '../runtime.js';
import { actorOf, authorize, configFrom, versionArg, withReadRegistry, withRegistry } from './common.js';
import { addExportOptions, EXPORT_FLAG_NAMES, flagError, type ExportFlags } from './export-options.js';
import { driftText, summaryTable } from './run-output.js';

export interface ScoreFlags extends ExportFlags {
  registry?: string;
  model?: string;
  actor?: string;
  version?: string;
  alias?: string;
  out: string;
  save?: boolean;
  json?: boolean;
  attributes?: string;
  includeUnconsented?: boolean;
}

const FLAG_OF: Record<string, string> = { ...EXPORT_FLAG_NAMES, version: '--version', alias: '--alias', out: '--out' };

// the registry's alias name, spelled here so `rfm --help` need not load the registry (the type keeps them equal)
const PRODUCTION: typeof REGISTRY_PRODUCTION = 'production';

// DuckDB is loaded with @rfm/runs, only by the commands that score
const runsLib = () => import('@rfm/runs');
const ingest = () => import('@rfm/ingest');

/** Flags → validated options: the export flags through ingest's own schema (training's messages), issues naming the flag. */
async function scoreOptions(o: ScoreFlags) {
  const { ImportFlagsSchema, parseColumnMapping, parseAttributeMapping } = await ingest();
  const { z } = runtime();
  const schema = ImportFlagsSchema.extend({
    version: versionArg().optional(),
    alias: z.string().min(1).optional(),
    out: z.string().regex(/\.(csv|parquet|pq)$/i, 'must name a .csv or .parquet file'),
  });
  const r = schema.safeParse(o);
  if (!r.success) throw flagError(r.error, o, FLAG_OF);
  if (r.data.version !== undefined && r.data.alias !== undefined)
    throw new RfmError('INVALID_INPUT', 'give --version or --alias, not both', {
      issues: [{ path: '--alias', message: 'conflicts with --version' }],
    });
  const { version, alias, out, ...read } = r.data;
  return {
    version,
    alias,
    out,
    read: {
      ...read,
      ...(o.columns !== undefined ? { columns: parseColumnMapping(o.columns) } : {}),
      ...(o.attributes !== undefined ? { attributes: parseAttributeMapping(o.attributes) } : {}),
    },
  };
}

/** The version a command scores with: --version, else the version of --alias (default production). */
export async function resolveVersion(reg: Registry, model: string, version?: number, alias?: string): Promise<number> {
  if (version !== undefined) return version;
  const a = alias ?? PRODUCTION;
  const v = await reg.resolveAlias(model, a);
  if (v === null)
    throw new RfmError(
      'MODEL_UNAVAILABLE',
      `alias "${a}" of "${model}" points at no version; train one with: rfm train <export>`,
    );
  return v;
}

type RunsLib = Awaited<ReturnType<typeof runsLib>>;
type Hook = { url: string; origin: string; run: string; payload: unknown };

/** The model's webhook and the summary it receives; a failure here is a warning, never a failed run. */
async function webhookFor(
  reg: Registry,
  lib: RunsLib,
  run: RunRecord,
  customers: Parameters<RunsLib['runWebhookPayload']>[2],
): Promise<Hook | null> {
  try {
    const url = await reg.webhook(run.modelName);
    if (!url) return null;
    return { url, origin: new URL(url).origin, run: run.id, payload: await lib.runWebhookPayload(reg, run, customers) };
  } catch (e) {
    process.stderr.write(
      `warning: run ${run.id} saved, but its webhook summary could not be made: ${(e as Error).message}\n`,
    );
    return null;
  }
}

/** Post the summary (retries, timeout: runs/src/webhook.ts); a failure is one line on stderr, without the payload. */
async function deliver(lib: RunsLib, h: Hook) {
  const d = await lib.postWebhook(h.url, h.payload);
  if (!d.ok)
    process.stderr.write(
      `warning: webhook ${h.origin} for run ${h.run} failed after ${d.attempts} attempt(s): ${d.error}; the run is saved\n`,
    );
  return { url: h.origin, ok: d.ok, attempts: d.attempts, status: d.status, error: d.error };
}

export function registerScoreCommand(program: Command): void {
  loadsRuntime(program);
  const score = program
    .command('score')
    .description(
      'segment every customer of a transaction export with a registered version; print the per-segment summary',
    )
    .argument('<export>', 'transaction export: .csv, .csv.gz, .xlsx or .parquet (read exactly as rfm train reads it)')
    .requiredOption('--out <file>', 'one row per customer: .csv or .parquet')
    .option('--version <n>', 'score with this version (default: the production alias)')
    .option('--alias <name>', 'score with the version this alias points at')
    .option('--save', 'keep the run in the registry (rfm runs list / show / customers / diff)')
    .option('--registry <path>', 'registry file or postgres:// URL (env RFM_REGISTRY, default data/registry.db)')
    .option('--model <name>', 'registered model name (env RFM_MODEL_NAME)')
    .option('--actor <name>', 'who saves the run, recorded in the history (env RFM_ACTOR, default the OS user)');
  addExportOptions(score)
    .option(
      '--attributes <map>',
      'customer attribute columns: email=…,name=…,consent=… (default: recognised by name, e.g. Shopify Email /' +
        ' Billing Name / Accepts Marketing; "none" reads none)',
    )
    .option(
      '--include-unconsented',
      'when the export has a consent column, also list customers without marketing consent (default: left out)',
    )
    .option('--json', 'print one JSON object for machines')
    .action(async (exportPath: string, o: ScoreFlags) => {
      const cfg = configFrom(o);
      if (o.save) authorize(cfg, 'viewer'); // saving a run is what a viewer may do (RFM_USERS set)
      const opts = await scoreOptions(o);
      const lib = await runsLib();
      const say = progress(o);
      const open = o.save ? withRegistry : withReadRegistry;
      const t0 = performance.now();
      const result = await open(cfg, async (reg) => {
        const version = await resolveVersion(reg, cfg.modelName, opts.version, opts.alias);
        const model = await reg.loadModel(cfg.modelName, version);
        say(`scoring ${exportPath} with ${cfg.modelName} v${version}`);
        const scored = await lib.scoreExport(exportPath, model, opts.read);
        const earlier = await lib.earlierRuns(reg, cfg.modelName);
        const labels = lib.labelsFromSummary(scored.summary);
        const history = lib.customerHistory(
          { customers: scored.customers, labels, snapshotDate: scored.facts.snapshotDate },
          earlier,
        );
        const rows = { customers: scored.customers, segmentNames: labels.names, segmentKeys: labels.keys, history };
        const list = { includeUnconsented: o.includeUnconsented === true };
        await lib.writeCustomersFile(opts.out, rows, lib.customersFormat(opts.out), list);
        const written = lib.listedCount(rows, list);
        const consentFiltered = lib.filtersConsent(scored.customers, list);
        const drift = await lib.driftForRun(reg, scored, model);
        const saved = o.save ? await reg.saveRun(lib.newRunInput(scored, undefined, drift), actorOf(cfg)) : null;
        let outliers = 0;
        let unknown = 0;
        for (const f of scored.customers.outlier) {
          if (f === lib.OUTLIER_YES) outliers++;
          else if (f === lib.OUTLIER_UNKNOWN) unknown++;
        }
        // the webhook's summary is made while the registry is open; it is posted after it is closed
        const hook = saved ? await webhookFor(reg, lib, saved, scored.customers) : null;
        return {
          scored,
          saved,
          drift,
          hook,
          history: history !== null,
          earlier: earlier.length,
          outliers,
          unknown,
          written,
          consentFiltered,
        };
      });
      const delivery = result.hook ? await deliver(lib, result.hook) : null;
      const { scored, saved } = result;
      const f = scored.facts;
      const ms = Math.round(performance.now() - t0);
      emit(
        o,
        {
          model: f.modelName,
          version: f.version,
          run_id: saved?.id ?? null,
          export: f.exportName,
          export_sha256: f.exportSha256,
          snapshot_date: f.snapshotDate,
          rows_read: f.rowsRead,
          rows_dropped: f.rowsDropped,
          customers: f.customers,
          frequency_basis: f.frequencyBasis,
          outliers: result.unknown === f.customers ? null : result.outliers,
          out: opts.out,
          customers_written: result.written,
          consent: f.attributes?.consent ?? null,
          list: f.attributes?.consent ? (result.consentFiltered ? 'consented_only' : 'all_customers') : null,
          attributes: f.attributes?.present ?? [],
          history_from_runs: result.earlier,
          summary: scored.summary,
          retrain_advised: result.drift?.retrainAdvised ?? null,
          webhook: delivery,
          drift: result.drift,
          duration_ms: ms,
        },
        () => {
          const dropped = Object.entries(f.rowsDropped)
            .filter(([, n]) => n > 0)
            .map(([why, n]) => `${why} ${n.toLocaleString('en-US')}`)
            .join(', ');
          const lines = [
            `${f.exportName}: ${f.rowsRead.toLocaleString('en-US')} rows read${dropped ? ` (dropped: ${dropped})` : ''}, ` +
              `${f.customers.toLocaleString('en-US')} customers, snapshot ${f.snapshotDate}`,
            `scored with ${f.modelName} v${f.version}; ` +
              (result.unknown === f.customers
                ? 'outliers: unknown (this version was trained before outlier thresholds were stored)'
                : `${result.outliers.toLocaleString('en-US')} outliers (beyond the 99th percentile of training distances)`),
            '',
            summaryTable(scored.summary),
            '',
            driftText(result.drift),
            '',
            `wrote ${opts.out}` +
              (result.history ? ` (previous_segment / segment_since from ${result.earlier} saved run(s))` : ''),
          ];
          const consent = f.attributes?.consent;
          if (f.attributes)
            lines.push(
              `customer attributes: ${f.attributes.present.join(', ')}` +
                (consent
                  ? `; ${consent.yes.toLocaleString('en-US')} of ${f.customers.toLocaleString('en-US')} customers consented to marketing`
                  : ''),
            );
          if (consent)
            lines.push(
              result.consentFiltered
                ? `${result.written.toLocaleString('en-US')} customers written: consented only (` +
                    `${(consent.no + consent.unknown).toLocaleString('en-US')} without consent left out; --include-unconsented to list them)`
                : `${result.written.toLocaleString('en-US')} customers written, including those without consent (--include-unconsented)`,
            );
          if (saved) lines.push(`saved as run ${saved.id} (rfm runs show ${saved.id})`);
          return lines.join('\n');
        },
      );
    });
}

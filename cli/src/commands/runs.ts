import type { Command } from 'commander';
import { loadsRuntime, runtime } from '../runtime.js';
import { RfmError } from '@rfm/shared/errors';
import type { Registry, RunRecord } from '@rfm/registry';
import { emit, table } from '../output.js';
import { actorOf, configFrom, withReadRegistry, withRegistry, type RegistryFlags } from './common.js';
import { diffText, driftText, summaryTable } from './run-output.js';

interface RunsFlags extends RegistryFlags {
  olderThan?: string;
  keep?: string;
  dryRun?: boolean;
  segment?: string;
  out?: string;
  from?: string;
  to?: string;
  includeUnconsented?: boolean;
}

const runsLib = () => import('@rfm/runs');
const int = (n: number) => n.toLocaleString('en-US');

function runJson(r: RunRecord) {
  return {
    id: r.id,
    model: r.modelName,
    version: r.version,
    export: r.exportName,
    export_sha256: r.exportSha256,
    snapshot_date: r.snapshotDate,
    rows_read: r.rowsRead,
    rows_dropped: r.rowsDropped,
    customers: r.customers,
    created_by: r.createdBy,
    created_at: r.createdAt,
    customers_bytes: r.customersBytes,
    attributes: r.facts.attributes ?? null,
    summary: r.summary,
    /** null: not measured (saved before drift was recorded, or a version without stored training customers) */
    retrain_advised: r.drift?.retrainAdvised ?? null,
    drift: r.drift,
  };
}

/** `--older-than 90d` (days; `12w` weeks; a bare number is days) → days. */
export const ageArg = () =>
  runtime()
    .z.string()
    .regex(/^\d{1,5}[dw]?$/, { error: 'an age such as 90d (days) or 12w (weeks)' })
    .transform((v) => Number.parseInt(v, 10) * (v.endsWith('w') ? 7 : 1));
const keepArg = () =>
  runtime()
    .z.coerce.number({ error: 'a whole number of runs' })
    .int({ error: 'a whole number of runs' })
    .min(0, { error: 'a whole number of runs, 0 or more' });

/** The run's attribute line for `rfm runs show`: which it has, and how many customers consented. */
function attributesLine(r: RunRecord): string | null {
  const a = r.facts.attributes;
  if (!a) return null;
  const c = a.consent;
  return (
    `customer attributes: ${a.present.join(', ')} (${int(a.withEmail)} with an e-mail address)` +
    (c
      ? `; consent: ${int(c.yes)} of ${int(r.customers)} customers consented, ${int(c.no)} did not, ${int(c.unknown)} not known` +
        ' (lists leave out those without consent unless --include-unconsented)'
      : '; no consent column: lists include everyone')
  );
}

const UNCONSENTED_HELP =
  'when the run has consent data, also list customers without marketing consent (default: left out)';

/** `rfm runs diff` with no ids: the two newest runs of the model. */
async function newestTwo(reg: Registry, model: string): Promise<[string, string]> {
  const runs = await reg.listRuns({ model });
  if (runs.length < 2)
    throw new RfmError(
      'NOT_FOUND',
      `model "${model}" has ${runs.length} saved run(s); a diff needs two (rfm score EXPORT --save), or name them: rfm runs diff A B`,
    );
  return [runs[1]!.id, runs[0]!.id];
}

export function registerRunsCommands(program: Command): void {
  loadsRuntime(program);
  const runs = program
    .command('runs')
    .description('saved scoring runs (rfm score --save): list, show, customers, diff, delete, gc');
  const common = (c: Command) =>
    c
      .option('--registry <path>', 'registry file or postgres:// URL (env RFM_REGISTRY, default data/registry.db)')
      .option('--json', 'print one JSON object for machines');

  common(
    runs.command('list').description('saved runs, newest first').option('--model <name>', 'only runs of this model'),
  ).action(async (o: RunsFlags) => {
    const cfg = configFrom(o);
    const list = await withReadRegistry(cfg, (reg) => reg.listRuns(o.model ? { model: o.model } : {}));
    emit(o, { runs: list.map(runJson) }, () =>
      list.length
        ? table(
            ['id', 'model', 'version', 'export', 'snapshot', 'customers', 'retrain', 'saved by', 'saved at'],
            list.map((r) => [
              r.id,
              r.modelName,
              r.version,
              r.exportName,
              r.snapshotDate,
              int(r.customers),
              r.drift === null ? 'not measured' : r.drift.retrainAdvised ? 'ADVISED' : 'no',
              r.createdBy,
              r.createdAt,
            ]),
          )
        : 'no saved runs (save one with: rfm score EXPORT --out customers.csv --save)',
    );
  });

  common(
    runs
      .command('show')
      .description('one saved run: its facts, per-segment summary and drift (retraining advised?)')
      .argument('<id>', 'run id'),
  ).action(async (id: string, o: RunsFlags) => {
    const cfg = configFrom(o);
    const r = await withReadRegistry(cfg, (reg) => reg.getRun(id));
    emit(o, runJson(r), () => {
      const dropped = Object.entries(r.rowsDropped)
        .filter(([, n]) => n > 0)
        .map(([why, n]) => `${why} ${int(n)}`)
        .join(', ');
      return [
        `run ${r.id}: ${r.modelName} v${r.version}, saved by ${r.createdBy} at ${r.createdAt}`,
        `export ${r.exportName} (sha256 ${r.exportSha256.slice(0, 12)}…), snapshot ${r.snapshotDate}`,
        `${int(r.rowsRead)} rows read${dropped ? ` (dropped: ${dropped})` : ''}, ${int(r.customers)} customers` +
          ` (${(r.customersBytes / 1024).toFixed(0)} kB stored)`,
        ...(attributesLine(r) ? [attributesLine(r)!] : []),
        '',
        summaryTable(r.summary),
        '',
        driftText(r.drift),
      ].join('\n');
    });
  });

  common(
    runs
      .command('customers')
      .description(
        'write the scored customers of a saved run (with previous_segment / segment_since from earlier runs)',
      )
      .argument('<id>', 'run id')
      .requiredOption('--out <file>', '.csv or .parquet')
      .option('--segment <name>', 'only this segment (its name, catalogue key or catalogue name)')
      .option('--include-unconsented', UNCONSENTED_HELP),
  ).action(async (id: string, o: RunsFlags) => {
    const cfg = configFrom(o);
    const lib = await runsLib();
    const format = lib.customersFormat(o.out!);
    const res = await withReadRegistry(cfg, async (reg) => {
      const saved = await lib.loadSavedRun(reg, id);
      const earlier = await lib.earlierRuns(reg, saved.run.modelName, saved.run);
      const labels = lib.labelsFromSummary(saved.run.summary);
      const history = lib.customerHistory(
        { customers: saved.customers, labels, snapshotDate: saved.run.snapshotDate },
        earlier,
      );
      const rows = lib.rowsForRun(saved, history);
      const list = {
        ...(o.segment !== undefined ? { segment: o.segment } : {}),
        includeUnconsented: o.includeUnconsented === true,
      };
      const n = lib.listedCount(rows, list); // an unknown segment fails before any file is written
      await lib.writeCustomersFile(o.out!, rows, format, list);
      const filtered = lib.filtersConsent(saved.customers, list);
      return {
        run: saved.run.id,
        customers: n,
        out: o.out!,
        list: saved.customers.consent ? (filtered ? 'consented_only' : 'all_customers') : null,
        history_from_runs: earlier.length,
      };
    });
    emit(
      o,
      res,
      () =>
        `wrote ${int(res.customers)} customers of run ${res.run} to ${res.out}` +
        (res.list === 'consented_only'
          ? ' (consented only; --include-unconsented for everyone)'
          : res.list === 'all_customers'
            ? ' (including customers without consent)'
            : ''),
    );
  });

  common(
    runs
      .command('diff')
      .description(
        'migration between two saved runs of one model (default: its two newest): who moved between segments',
      )
      .argument('[a]', 'older run id')
      .argument('[b]', 'newer run id')
      .option('--model <name>', 'model whose two newest runs to compare (env RFM_MODEL_NAME)')
      .option('--from <segment>', 'list the customers who were in this segment in A …')
      .option('--to <segment>', '… and are in this one in B')
      .option('--out <file>', 'with --from/--to: write those customers to this CSV instead of printing them')
      .option('--include-unconsented', UNCONSENTED_HELP),
  ).action(async (a: string | undefined, b: string | undefined, o: RunsFlags) => {
    const cfg = configFrom(o);
    if ((a === undefined) !== (b === undefined))
      throw new RfmError(
        'INVALID_INPUT',
        'give two run ids (older first), or none for the two newest runs of the model',
      );
    const lib = await runsLib();
    const res = await withReadRegistry(cfg, async (reg) => {
      const [ia, ib] = a !== undefined ? [a, b!] : await newestTwo(reg, cfg.modelName);
      const ra = await lib.loadSavedRun(reg, ia);
      const rb = await lib.loadSavedRun(reg, ib);
      const diff = lib.diffRuns(ra, rb);
      const movers =
        o.from !== undefined || o.to !== undefined ? lib.transitionCustomers(ra, rb, { from: o.from, to: o.to }) : null;
      const list = { includeUnconsented: o.includeUnconsented === true };
      // a list for a campaign follows the newer run's consent, like every other list
      const listed = movers?.filter((m) => lib.consentAllows(rb.customers, m.at, list)) ?? null;
      const csv = movers && o.out ? lib.transitionsCsv(rb.customers, movers, list) : null;
      return { diff, movers: listed, csv, left: (movers?.length ?? 0) - (listed?.length ?? 0) };
    });
    if (res.csv !== null && o.out) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(o.out, res.csv);
    }
    const movers = res.movers?.map(({ at: _at, ...m }) => m) ?? null;
    emit(o, movers ? { ...res.diff, customers: movers, left_out_without_consent: res.left } : res.diff, () => {
      if (!res.movers) return diffText(res.diff);
      const head =
        `${int(res.movers.length)} customers${o.from ? ` from ${o.from}` : ''}${o.to ? ` to ${o.to}` : ''}` +
        (res.left ? ` (${int(res.left)} without consent left out; --include-unconsented to list them)` : '');
      if (o.out) return `${head}: written to ${o.out}`;
      const shown = res.movers.slice(0, 50);
      return [
        `${head}${res.movers.length > shown.length ? ` (first ${shown.length}; --out FILE for all)` : ''}:`,
        table(
          ['cid', 'from', 'to', 'monetary before', 'monetary after'],
          shown.map((m) => [m.cid, m.from, m.to, m.monetaryBefore.toFixed(2), m.monetaryAfter.toFixed(2)]),
        ),
      ].join('\n');
    });
  });

  common(
    runs
      .command('delete')
      .description('delete a saved run (its events stay in the history)')
      .argument('<id>', 'run id'),
  )
    .option('--actor <name>', 'who deletes, recorded in the history (env RFM_ACTOR)')
    .action(async (id: string, o: RunsFlags) => {
      const cfg = configFrom(o);
      const actor = actorOf(cfg); // with RFM_USERS: an admin's RFM_TOKEN, checked before the registry is opened
      const r = await withRegistry(cfg, (reg) => reg.deleteRun(id, actor));
      emit(o, { deleted: r.id, model: r.modelName }, () => `deleted run ${r.id} of ${r.modelName}`);
    });

  common(
    runs
      .command('gc')
      .description(
        'retention: delete runs older than an age or beyond the newest N per model (each an event); prune old finished jobs',
      )
      .option('--older-than <age>', 'delete runs saved longer ago than this: 90d, 12w')
      .option('--keep <n>', 'keep only the newest N runs of each model')
      .option('--model <name>', 'only runs of this model')
      .option('--dry-run', 'list what would be deleted; delete nothing')
      .option('--actor <name>', 'who deletes, recorded in the history (env RFM_ACTOR)'),
  ).action(async (o: RunsFlags) => {
    const olderThanDays =
      o.olderThan === undefined
        ? undefined
        : runtime().shared.parseOrThrow(ageArg(), o.olderThan, '--older-than', 'older-than');
    const keep = o.keep === undefined ? undefined : runtime().shared.parseOrThrow(keepArg(), o.keep, '--keep', 'keep');
    const cfg = configFrom({ ...o, model: undefined });
    const opts = {
      ...(olderThanDays === undefined ? {} : { olderThanDays }),
      ...(keep === undefined ? {} : { keep }),
      ...(o.model === undefined ? {} : { model: o.model }),
      dryRun: Boolean(o.dryRun),
    };
    const actor = actorOf(cfg); // checked before the registry is opened (or created)
    const r = await (o.dryRun
      ? withReadRegistry(cfg, (reg) => reg.gcRuns(opts, actor))
      : withRegistry(cfg, (reg) => reg.gcRuns(opts, actor)));
    emit(o, { dry_run: r.dryRun, runs: r.runs, jobs_pruned: r.jobs, storage: r.storage }, () => {
      const verb = r.dryRun ? 'would delete' : 'deleted';
      const lines = r.runs.map(
        (x) =>
          `${verb} ${x.id} of ${x.model} (saved ${x.createdAt}; ${x.rule === 'age' ? 'too old' : 'beyond the newest kept'})`,
      );
      lines.push(`${verb} ${int(r.runs.length)} run(s) and ${int(r.jobs)} finished job record(s)`);
      return lines.join('\n');
    });
  });
}

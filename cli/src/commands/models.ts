import type { Command } from 'commander';
import { loadsRuntime } from '../runtime.js';
import type { VersionRecord, versionSummary as RegistryVersionSummary } from '@rfm/registry';
import { trainingRevenue } from '@rfm/shared/revenue';
import { emit, segmentTable, table } from '../output.js';
import {
  actorOf,
  configFrom,
  parseVersion,
  registryModule,
  withReadRegistry,
  withRegistry,
  type RegistryFlags,
} from './common.js';
import { registerLifecycleCommands } from './models-lifecycle.js';

const fmt = (n: number | null | undefined, d = 3) => (n === null || n === undefined ? '' : Number(n).toFixed(d));

/** The registry's list summary plus what the CLI also prints: the snapshot date and the artifact hash. */
function versionSummary(v: VersionRecord, listSummary: typeof RegistryVersionSummary) {
  return {
    ...listSummary(v),
    snapshot_date: v.data.snapshot_date,
    sha256: v.artifact.sha256,
  };
}

function withCommonOptions(cmd: Command): Command {
  return cmd
    .option('--registry <path>', 'registry file (env RFM_REGISTRY, default data/registry.db)')
    .option('--model <name>', 'registered model name (env RFM_MODEL_NAME, default customer-segments)')
    .option('--json', 'print one JSON object for machines');
}

export function registerModelsCommands(program: Command): void {
  loadsRuntime(program);
  const models = program.command('models').description('list, inspect, promote and roll back model versions');

  withCommonOptions(
    models.command('list').description('every version of the model, with aliases and key metrics'),
  ).action(async (o: RegistryFlags) => {
    const cfg = configFrom(o);
    const versions = await withReadRegistry(cfg, async (r) => r.list(cfg.modelName));
    const { versionSummary: listSummary } = await registryModule();
    emit(o, { model: cfg.modelName, versions: versions.map((v) => versionSummary(v, listSummary)) }, () =>
      versions.length === 0
        ? `no versions of "${cfg.modelName}" in ${cfg.registry} yet; train one with: rfm train <export>`
        : table(
            ['version', 'aliases', 'status', 'created', 'k', 'inertia', 'silhouette', 'customers', 'source'],
            versions.map((v) => [
              v.version,
              v.aliases.join(','),
              v.status,
              v.createdAt.slice(0, 19).replace('T', ' '),
              v.k,
              fmt(v.metrics.inertia, 1),
              fmt(v.metrics.silhouette),
              v.data.customers,
              v.data.source.file,
            ]),
          ),
    );
  });

  withCommonOptions(
    models.command('show').description('one version in full: metrics, segments, data summary').argument('<version>'),
  ).action(async (version: string, o: RegistryFlags) => {
    const cfg = configFrom(o);
    const v = parseVersion(version);
    const { rec, art, tags } = await withReadRegistry(cfg, async (r) => ({
      rec: await r.get(cfg.modelName, v),
      art: (await r.loadModel(cfg.modelName, v)).artifact,
      tags: await r.tags(cfg.modelName, v),
    }));
    const revenue = trainingRevenue(art.segments);
    emit(
      o,
      {
        ...versionSummary(rec, (await registryModule()).versionSummary),
        description: rec.description,
        tags,
        params: rec.params,
        metrics: rec.metrics,
        data: rec.data,
        training: rec.training,
        segments: art.segments.map((s) => ({ ...s, revenue_share: revenue.get(s.cluster)?.share ?? 0 })),
      },
      () =>
        [
          `${cfg.modelName} v${rec.version}  ${rec.aliases.length ? `[${rec.aliases.join(', ')}]` : ''}  ${rec.status}`,
          `trained ${rec.createdAt} by ${rec.createdBy} on ${rec.data.source.file} (${rec.data.rows_read} rows read, ${rec.data.rows_kept} kept, ` +
            `${rec.data.customers} customers, snapshot ${rec.data.snapshot_date})`,
          ...(rec.description ? [`description: ${rec.description}`] : []),
          ...(Object.keys(tags).length
            ? [
                `tags: ${Object.entries(tags)
                  .map(([k, t]) => `${k}=${t}`)
                  .join(' ')}`,
              ]
            : []),
          `dropped: ${
            Object.entries(rec.data.rows_dropped)
              .map(([k, n]) => `${k} ${n}`)
              .join(', ') || 'none'
          }`,
          `k=${rec.k} seed=${rec.params.seed} n_init=${rec.params.n_init}  inertia ${fmt(rec.metrics.inertia, 2)}  silhouette ` +
            `${fmt(rec.metrics.silhouette, 4)}  backend ${rec.training.backend}`,
          '',
          segmentTable(art.segments),
          `artifact sha256 ${rec.artifact.sha256} (${rec.artifact.size} bytes)`,
        ].join('\n'),
    );
  });

  withCommonOptions(
    models
      .command('promote')
      .description('point the production alias at a version (the server switches within a second)')
      .argument('<version>')
      .option('--reason <text>', 'why, recorded in the history')
      .option('--force', 'promote even if the promotion policy refuses (needs --reason; recorded)')
      .option('--actor <name>', 'who, recorded in the history (env RFM_ACTOR, default the OS user)'),
  ).action(async (version: string, o: RegistryFlags & { reason?: string; force?: boolean }) => {
    const cfg = configFrom(o);
    const v = parseVersion(version);
    const move = await withRegistry(cfg, async (r) =>
      r.promote(cfg.modelName, v, { actor: actorOf(cfg), reason: o.reason ?? '', force: o.force === true }),
    );
    emit(o, move, () =>
      [
        `production: v${move.from ?? '-'} → v${move.to} (${cfg.modelName})${move.forced ? '  FORCED past the policy' : ''}`,
        ...move.rules.map((r) => `  ${r.passed ? 'ok  ' : 'FAIL'} ${r.rule}: ${r.message}`),
      ].join('\n'),
    );
  });

  withCommonOptions(
    models
      .command('rollback')
      .description('move production back to the version it held before; repeat to step further back')
      .option('--reason <text>', 'why, recorded in the history')
      .option('--actor <name>', 'who, recorded in the history'),
  ).action(async (o: RegistryFlags & { reason?: string }) => {
    const cfg = configFrom(o);
    const move = await withRegistry(cfg, async (r) =>
      r.rollback(cfg.modelName, { actor: actorOf(cfg), reason: o.reason ?? '' }),
    );
    emit(o, move, () =>
      [
        `production rolled back: v${move.from ?? '-'} → v${move.to} (${cfg.modelName})`,
        ...move.skipped.map((s) => `  skipped v${s.version}: ${s.why}`),
      ].join('\n'),
    );
  });

  withCommonOptions(
    models
      .command('history')
      .description('alias moves and registrations, newest first')
      .option('--alias <name>', 'only this alias')
      .option('--limit <n>', 'at most this many events', '50'),
  ).action(async (o: RegistryFlags & { alias?: string; limit: string }) => {
    const cfg = configFrom(o);
    const limit = parseVersion(o.limit, 'limit');
    const events = await withReadRegistry(cfg, async (r) =>
      r.history(cfg.modelName, { ...(o.alias ? { alias: o.alias } : {}), limit }),
    );
    emit(o, { model: cfg.modelName, events }, () =>
      table(
        ['id', 'when', 'who', 'action', 'alias', 'from', 'to', 'reason'],
        events.map((e) => [
          e.id,
          e.at.slice(0, 19).replace('T', ' '),
          e.actor,
          e.action,
          e.alias,
          e.fromVersion,
          e.toVersion,
          e.reason,
        ]),
      ),
    );
  });

  registerLifecycleCommands(models, withCommonOptions);
}

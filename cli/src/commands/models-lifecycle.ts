import type { Command } from 'commander';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { basename } from 'node:path';
import { RfmError } from '@rfm/shared/errors';
import { emit, table } from '../output.js';
import { actorOf, configFrom, parseVersion, withReadRegistry, withRegistry, type RegistryFlags } from './common.js';

type Flags = RegistryFlags & { reason?: string };
const f4 = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(4));

/** Lifecycle subcommands of `rfm models`: aliases, compare, relabel, tags, archive, export/import, gc, policy, verify. */
export function registerLifecycleCommands(models: Command, common: (c: Command) => Command): void {
  const write = (c: Command) =>
    common(c)
      .option('--reason <text>', 'why, recorded in the history')
      .option('--actor <name>', 'who (env RFM_ACTOR, default the OS user)');

  const alias = models
    .command('alias')
    .description('point any alias (staging, challenger, …) at a version, or remove it');
  write(
    alias.command('set').argument('<alias>').argument('<version>').description('point an alias at a version'),
  ).action(async (name: string, version: string, o: Flags) => {
    const cfg = configFrom(o);
    const move = await withRegistry(cfg, async (r) =>
      r.setAlias(cfg.modelName, name, parseVersion(version), { actor: actorOf(cfg), reason: o.reason ?? '' }),
    );
    emit(o, move, () => `${name}: v${move.from ?? '-'} → v${move.to}`);
  });
  write(alias.command('delete').argument('<alias>').description('remove an alias (not production)')).action(
    async (name: string, o: Flags) => {
      const cfg = configFrom(o);
      const res = await withRegistry(cfg, async (r) =>
        r.deleteAlias(cfg.modelName, name, { actor: actorOf(cfg), reason: o.reason ?? '' }),
      );
      emit(o, res, () => `${name}: removed (was v${res.from})`);
    },
  );

  common(
    models
      .command('compare')
      .argument('<a>')
      .argument('<b>')
      .description('metrics side by side, centroid shift, and how many customers would change segment'),
  ).action(async (a: string, b: string, o: Flags) => {
    const cfg = configFrom(o);
    const c = await withReadRegistry(cfg, async (r) =>
      r.compare(cfg.modelName, parseVersion(a, 'a'), parseVersion(b, 'b')),
    );
    emit(o, c, () => {
      const lines = [
        table(
          ['', `v${c.a.version}`, `v${c.b.version}`],
          [
            ['k', c.a.k, c.b.k],
            ['customers', c.a.customers, c.b.customers],
            ['inertia', c.a.metrics.inertia.toFixed(2), c.b.metrics.inertia.toFixed(2)],
            ['silhouette', f4(c.a.metrics.silhouette), f4(c.b.metrics.silhouette)],
            ['davies-bouldin', f4(c.a.metrics.davies_bouldin), f4(c.b.metrics.davies_bouldin)],
            ['segments', c.a.segments.join(', '), c.b.segments.join(', ')],
          ],
        ),
        '',
        'centroid shift (each segment of the second version vs the nearest of the first, standardized units):',
        table(
          ['segment', 'nearest before', 'distance'],
          c.centroid_shift.map((s) => [s.b_segment, s.a_segment, s.distance.toFixed(3)]),
        ),
      ];
      if (c.assignments) {
        const x = c.assignments;
        lines.push(
          '',
          `on v${Math.max(c.a.version, c.b.version)}'s ${x.customers} training customers: adjusted Rand index ${x.ari.toFixed(4)}; ` +
            `${x.changed_segment} customers (${(100 * x.changed_share).toFixed(1)}%) would change segment`,
        );
        lines.push(
          table(
            ['from', 'to', 'customers'],
            x.transitions
              .filter((t) => t.from !== t.to)
              .slice(0, 12)
              .map((t) => [t.from, t.to, t.customers]),
          ),
        );
      } else
        lines.push('', 'assignments not compared: the newer version was registered without its training customers');
      return lines.join('\n');
    });
  });

  write(
    models
      .command('relabel')
      .argument('<version>')
      .argument('<cluster>')
      .argument('<name>')
      .description('rename one segment of a version (the server shows it on its next reload)'),
  ).action(async (version: string, cluster: string, name: string, o: Flags) => {
    const cfg = configFrom(o);
    const res = await withRegistry(cfg, async (r) =>
      r.relabel(cfg.modelName, parseVersion(version), parseCluster(cluster), name, {
        actor: actorOf(cfg),
        reason: o.reason ?? '',
      }),
    );
    emit(o, res, () => `v${version} cluster ${res.cluster}: "${res.from}" → "${res.to}"`);
  });

  write(
    models
      .command('tag')
      .argument('<version>')
      .argument('<key>')
      .argument('[value]')
      .option('--delete', 'remove the tag')
      .description('set or remove a tag (key → value) on a version'),
  ).action(async (version: string, key: string, value: string | undefined, o: Flags & { delete?: boolean }) => {
    const cfg = configFrom(o);
    if (!o.delete && value === undefined)
      throw new RfmError('INVALID_INPUT', 'give a value, or --delete to remove the tag');
    const tags = await withRegistry(cfg, async (r) =>
      r.setTag(cfg.modelName, parseVersion(version), key, o.delete ? null : value!, {
        actor: actorOf(cfg),
        reason: o.reason ?? '',
      }),
    );
    emit(
      o,
      { version: Number(version), tags },
      () =>
        Object.entries(tags)
          .map(([k, v]) => `${k}=${v}`)
          .join('\n') || '(no tags)',
    );
  });

  write(
    models.command('describe').argument('<version>').argument('<text>').description('set the description of a version'),
  ).action(async (version: string, text: string, o: Flags) => {
    const cfg = configFrom(o);
    await withRegistry(cfg, async (r) =>
      r.setDescription(cfg.modelName, parseVersion(version), text, { actor: actorOf(cfg), reason: o.reason ?? '' }),
    );
    emit(o, { version: Number(version), description: text }, () => `v${version}: ${text}`);
  });

  for (const [cmd, verb] of [
    ['archive', 'archive'],
    ['unarchive', 'unarchive'],
  ] as const)
    write(
      models.command(cmd).argument('<version>').description(`${verb} a version (refused while it holds an alias)`),
    ).action(async (version: string, o: Flags) => {
      const cfg = configFrom(o);
      const rec = await withRegistry(cfg, async (r) =>
        r[verb](cfg.modelName, parseVersion(version), { actor: actorOf(cfg), reason: o.reason ?? '' }),
      );
      emit(o, { version: rec.version, status: rec.status }, () => `v${rec.version}: ${rec.status}`);
    });

  write(
    models
      .command('delete')
      .argument('<version>')
      .option('--yes', 'confirm: the artifact is removed for good')
      .description('delete a version and its artifact (its events stay)'),
  ).action(async (version: string, o: Flags & { yes?: boolean }) => {
    const cfg = configFrom(o);
    if (!o.yes)
      throw new RfmError(
        'INVALID_INPUT',
        `deleting v${version} removes its artifact for good; repeat with --yes (or archive it instead)`,
      );
    await withRegistry(cfg, async (r) =>
      r.deleteVersion(cfg.modelName, parseVersion(version), { actor: actorOf(cfg), reason: o.reason ?? '' }),
    );
    emit(o, { deleted: Number(version) }, () => `v${version} deleted`);
  });

  write(
    models
      .command('gc')
      .requiredOption('--keep <n>', 'candidates to keep')
      .description('archive old candidates that hold no alias, keeping the newest N'),
  ).action(async (o: Flags & { keep: string }) => {
    const cfg = configFrom(o);
    const keep = parseCluster(o.keep, 'keep');
    const archived = await withRegistry(cfg, async (r) =>
      r.gc(cfg.modelName, keep, { actor: actorOf(cfg), reason: o.reason ?? '' }),
    );
    emit(o, { archived }, () =>
      archived.length ? `archived ${archived.map((v) => `v${v}`).join(', ')}` : 'nothing to archive',
    );
  });

  common(
    models
      .command('export')
      .argument('<version>')
      .requiredOption('--out <file>', 'file to write')
      .description('write one version as a single self-describing file'),
  ).action(async (version: string, o: Flags & { out: string }) => {
    const cfg = configFrom(o);
    const bytes = await withReadRegistry(cfg, async (r) => r.exportVersion(cfg.modelName, parseVersion(version)));
    const tmp = `${o.out}.tmp-${process.pid}`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, o.out); // never leave a half-written export behind
    emit(o, { file: o.out, bytes: bytes.length }, () => `wrote ${o.out} (${bytes.length} bytes)`);
  });

  write(
    models
      .command('import')
      .argument('<file>')
      .description(
        'verify an export file (checksums, signature, names, limits) and register it as the next version, a candidate',
      )
      .option('--promote', 'then move production to it, through the promotion policy')
      .option('--force', 'with --promote: past a policy refusal (needs --reason; recorded)'),
  ).action(async (file: string, o: Flags & { promote?: boolean; force?: boolean }) => {
    const cfg = configFrom(o);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new RfmError(
        'NOT_FOUND',
        `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    const res = await withRegistry(cfg, async (r) =>
      r.importVersion(bytes, {
        modelName: o.model ? cfg.modelName : undefined,
        actor: actorOf(cfg),
        ...(o.reason ? { reason: o.reason } : {}),
        fileLabel: basename(file),
        promote: o.promote === true,
        force: o.force === true,
      }),
    );
    emit(
      o,
      res,
      () =>
        `imported ${basename(file)} as ${res.modelName} v${res.version}${res.aliases.length ? ` [${res.aliases.join(', ')}]` : ''}`,
    );
  });

  const policy = models.command('policy').description('the promotion policy checked by `rfm models promote`');
  common(policy.command('show')).action(async (o: Flags) => {
    const cfg = configFrom(o);
    const p = await withReadRegistry(cfg, async (r) => r.policy(cfg.modelName));
    emit(o, p, () =>
      Object.entries(p)
        .map(([k, v]) => `${k} = ${v}`)
        .join('\n'),
    );
  });
  write(
    policy
      .command('set')
      .option('--min-silhouette <x>', 'lowest silhouette a production version may have')
      .option('--max-silhouette-drop <x>', 'how much worse than the current production a candidate may be')
      .option('--min-customers <n>', 'fewest training customers')
      .option('--drift-psi <x>', 'a saved run advises retraining when any feature PSI is at least this (default 0.25)')
      .option('--drift-outlier-rate <x>', '… when its outlier share is at least this fraction (default 0.03)')
      .option('--drift-share-shift <x>', '… when any segment share moves by at least this fraction (default 0.10)'),
  ).action(async (o: Flags & Record<string, string | undefined>) => {
    const cfg = configFrom(o);
    const change = Object.fromEntries(
      Object.entries({
        min_silhouette: o.minSilhouette,
        max_silhouette_drop: o.maxSilhouetteDrop,
        min_customers: o.minCustomers,
        drift_psi: o.driftPsi,
        drift_outlier_rate: o.driftOutlierRate,
        drift_share_shift: o.driftShareShift,
      })
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, Number(v)]),
    );
    const p = await withRegistry(cfg, async (r) =>
      r.setPolicy(cfg.modelName, change, { actor: actorOf(cfg), reason: o.reason ?? '' }),
    );
    emit(o, p, () =>
      Object.entries(p)
        .map(([k, v]) => `${k} = ${v}`)
        .join('\n'),
    );
  });

  write(
    models
      .command('webhook')
      .description('the http(s) URL a JSON summary of each saved run of the model is posted to (no customer rows)')
      .argument('[name]', 'model name (default --model / RFM_MODEL_NAME)')
      .option('--url <url>', 'set the webhook (http:// or https://)')
      .option('--clear', 'remove the webhook'),
  ).action(async (name: string | undefined, o: Flags & { url?: string; clear?: boolean }) => {
    const cfg = configFrom({ ...o, model: name ?? o.model });
    if (o.url !== undefined && o.clear)
      throw new RfmError('INVALID_INPUT', 'give --url or --clear, not both', {
        issues: [{ path: '--clear', message: 'conflicts with --url' }],
      });
    // the URL may hold a secret (a token in its path or query): only its origin is printed
    const origin = (u: string | null) => (u === null ? null : new URL(u).origin);
    if (o.url === undefined && !o.clear) {
      const url = await withReadRegistry(cfg, (r) => r.webhook(cfg.modelName));
      emit(o, { model: cfg.modelName, webhook: origin(url) }, () =>
        url ? `${cfg.modelName}: runs are posted to ${origin(url)}` : `${cfg.modelName}: no webhook`,
      );
      return;
    }
    const url = await withRegistry(cfg, (r) =>
      r.setWebhook(cfg.modelName, o.clear ? null : o.url!, { actor: actorOf(cfg), reason: o.reason ?? '' }),
    );
    emit(o, { model: cfg.modelName, webhook: origin(url) }, () =>
      url ? `${cfg.modelName}: each saved run will be posted to ${origin(url)}` : `${cfg.modelName}: webhook removed`,
    );
  });

  common(models.command('verify').description('check every stored artifact against its sha256 and schema')).action(
    async (o: Flags) => {
      const cfg = configFrom(o);
      const report = await withReadRegistry(cfg, async (r) => r.verify(o.model ? cfg.modelName : undefined));
      const bad = report.filter((x) => !x.ok);
      emit(o, { ok: bad.length === 0, versions: report }, () =>
        table(
          ['model', 'version', 'status'],
          report.map((x) => [x.model, x.version, x.ok ? 'ok' : `DAMAGED: ${x.error}`]),
        ),
      );
      if (bad.length) process.exitCode = 1;
    },
  );
}

function parseCluster(v: string, what = 'cluster'): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n))
    throw new RfmError('INVALID_INPUT', `${what} must be a whole number ≥ 0, got "${v}"`, {
      issues: [{ path: what, message: 'not a whole number', expected: 'integer ≥ 0', found: v }],
    });
  return n;
}

import type { Command } from 'commander';
import { RfmError } from '@rfm/shared/errors';
import { loadsRuntime, runtime } from '../runtime.js';
import { emit, table } from '../output.js';
import { actorOf, configFrom, withReadRegistry, withRegistry, type RegistryFlags } from './common.js';

interface CustomersFlags extends RegistryFlags {
  reason?: string;
}

const runsLib = () => import('@rfm/runs');
const reasonArg = () => runtime().z.string().max(500, { error: 'reason must be at most 500 characters' });

/**
 * `rfm customers show CID` (a customer's segment in the latest saved run of a model, as the
 * lookup API answers) and `rfm customers forget CID` (erasure from every saved run and training
 * set, one transaction; the event keeps a keyed hash, never the id). Messages never repeat the id.
 */
export function registerCustomersCommands(program: Command): void {
  loadsRuntime(program);
  const customers = program
    .command('customers')
    .description('one customer: show their current segment, or erase them (personal data)');
  const common = (c: Command) =>
    c
      .option('--registry <path>', 'registry file or postgres:// URL (env RFM_REGISTRY, default data/registry.db)')
      .option('--json', 'print one JSON object for machines');

  common(
    customers
      .command('show')
      .description('the customer in the latest saved run: segment, previous segment and since when, R/F/M, scores')
      .argument('<cid>', 'customer id as in the exports')
      .option('--model <name>', 'model whose runs to look in (env RFM_MODEL_NAME)'),
  ).action(async (cidArg: string, o: CustomersFlags) => {
    const cid = runtime().shared.parseOrThrow(runtime().shared.CustomerIdSchema, cidArg, 'customer id', 'cid');
    const cfg = configFrom(o);
    const { CustomerIndex } = await runsLib();
    const found = await withReadRegistry(cfg, async (reg) => {
      const idx = await CustomerIndex.build(reg, cfg.modelName, await reg.runsStateToken());
      if (!idx.run)
        throw new RfmError('NOT_FOUND', `model "${cfg.modelName}" has no saved run yet (rfm score EXPORT --save)`);
      const c = idx.find(cid);
      if (!c)
        throw new RfmError(
          'NOT_FOUND',
          `that customer is not in the latest saved run of model "${cfg.modelName}" (${idx.run.id}, snapshot ${idx.run.snapshotDate})`,
        );
      return c;
    });
    emit(o, found, () =>
      table(
        ['field', 'value'],
        [
          ['customer', found.customer],
          ['segment', found.segment],
          ['previous segment', found.previousSegment ?? '(no earlier run)'],
          ['in this segment since', found.segmentSince ?? '(no earlier run)'],
          ['recency · frequency · monetary', `${found.recency} · ${found.frequency} · ${found.monetary.toFixed(2)}`],
          ['R F M scores', `${found.rScore} ${found.fScore} ${found.mScore}`],
          ['outlier', found.outlier === null ? 'unknown' : found.outlier ? 'yes' : 'no'],
          ['run', `${found.run.id} (${found.model} v${found.run.version}, snapshot ${found.run.snapshotDate})`],
        ],
      ),
    );
  });

  common(
    customers
      .command('forget')
      .description('erase a customer from every saved run and every version’s training customers (one transaction)')
      .argument('<cid>', 'customer id as in the exports')
      .option('--reason <text>', 'why, kept in the history (do not put the person’s details here)')
      .option('--actor <name>', 'who erases, recorded in the history (env RFM_ACTOR)'),
  ).action(async (cidArg: string, o: CustomersFlags) => {
    const cid = runtime().shared.parseOrThrow(runtime().shared.CustomerIdSchema, cidArg, 'customer id', 'cid');
    const reason =
      o.reason === undefined ? '' : runtime().shared.parseOrThrow(reasonArg(), o.reason, 'reason', 'reason');
    const cfg = configFrom(o);
    const { eraseFromRuns } = await runsLib();
    const r = await withRegistry(cfg, (reg) =>
      reg.eraseCustomer(cid, eraseFromRuns(cid), { actor: actorOf(cfg), reason }),
    );
    emit(
      o,
      {
        erased: r.changed,
        erased_before: r.erasedBefore,
        subject: r.subject,
        runs: r.runs,
        versions: r.versions,
        storage: r.storage,
      },
      () =>
        r.changed
          ? [
              `erased from ${r.runs.length} saved run(s) and the training customers of ${r.versions.length} version(s)` +
                (r.erasedBefore.length
                  ? ` (erased before on ${r.erasedBefore.join(', ')}; they had come back in newer data)`
                  : ''),
              `recorded as ${r.subject.slice(0, 16)}… (a keyed hash; the id is not kept)`,
              r.storage ? `storage: ${r.storage.detail}` : '',
            ]
              .filter(Boolean)
              .join('\n')
          : `already erased on ${r.erasedBefore.join(', ')}; nothing of them is left, nothing changed`,
    );
  });
}

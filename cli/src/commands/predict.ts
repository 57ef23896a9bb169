import type { Command } from 'commander';
import { RfmError } from '@rfm/shared/errors';
import type { PRODUCTION as REGISTRY_PRODUCTION } from '@rfm/registry';
import { emit, table } from '../output.js';
import { loadsRuntime, runtime } from '../runtime.js';
import { configFrom, parseVersion, withReadRegistry, type RegistryFlags } from './common.js';

// the registry's alias name, spelled here so `rfm --help` need not load the registry (the type keeps them equal)
const PRODUCTION: typeof REGISTRY_PRODUCTION = 'production';

interface PredictFlags extends RegistryFlags {
  cid?: string;
  recency?: string;
  frequency?: string;
  monetary?: string;
  version?: string;
  alias?: string;
}

/** `rfm predict`: score one customer offline against a registered version (production by default). */
export function registerPredictCommand(program: Command): void {
  loadsRuntime(program);
  program
    .command('predict')
    .description('segment of one customer, computed from the registry without a server')
    .requiredOption('--recency <days>', 'days since the last purchase')
    .requiredOption('--frequency <n>', 'number of distinct purchases')
    .requiredOption('--monetary <amount>', 'total spent')
    .option('--cid <id>', 'customer id, echoed back')
    .option('--version <n>', 'use this version instead of the production alias')
    .option('--alias <name>', 'use the version this alias points at', PRODUCTION)
    .option('--registry <path>', 'registry file (env RFM_REGISTRY, default data/registry.db)')
    .option('--model <name>', 'registered model name (env RFM_MODEL_NAME)')
    .option('--json', 'print one JSON object for machines')
    .action(async (o: PredictFlags) => {
      const cfg = configFrom(o);
      const { Predictor, parseOrThrow, CustomerFeaturesSchema } = runtime().shared;
      const customer = parseOrThrow(
        CustomerFeaturesSchema,
        { cid: o.cid, recency: o.recency, frequency: o.frequency, monetary: o.monetary },
        'customer',
        '--',
      );
      const { version, artifact } = await withReadRegistry(cfg, async (r) => {
        const v = o.version ? parseVersion(o.version) : await r.resolveAlias(cfg.modelName, o.alias ?? PRODUCTION);
        if (v === null)
          throw new RfmError(
            'MODEL_UNAVAILABLE',
            `alias "${o.alias}" of "${cfg.modelName}" points at no version; train one with: rfm train <export>`,
          );
        return { version: v, artifact: await r.loadArtifact(cfg.modelName, v) };
      });
      const { cluster, outlier } = new Predictor(artifact).classify(
        customer.recency,
        customer.frequency,
        customer.monetary,
      );
      const seg = artifact.segments.find((s) => s.cluster === cluster)!;
      const out = {
        model_name: cfg.modelName,
        model_version: version,
        cid: customer.cid,
        cluster,
        segment: seg.name,
        outlier,
        description: seg.description,
        action: seg.action,
      };
      emit(o, out, () =>
        table(
          ['model', 'cid', 'cluster', 'segment', 'outlier', 'suggested action'],
          [
            [
              `${cfg.modelName} v${version}`,
              customer.cid ?? '',
              cluster,
              seg.name,
              outlier === null ? 'unknown' : outlier ? 'yes: the name may not fit' : 'no',
              seg.action,
            ],
          ],
        ),
      );
    });
}

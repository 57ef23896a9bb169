import { isRfmError, RfmError } from '@rfm/shared';
import type { RuleResult } from '@rfm/registry';

export interface PromotionOutcome {
  from: number | null;
  to: number;
  /** the model had no production version: this one became it at registration, no policy to meet */
  first_version: boolean;
  forced: boolean;
  rules: RuleResult[];
}

/** Check before any training that a forced promotion will be allowed, so no work is thrown away. */
export function checkPromoteOptions(o: { promote?: boolean; force?: boolean; reason?: string }): void {
  if (o.force && !o.promote)
    throw new RfmError('INVALID_INPUT', '--force only applies with --promote', {
      issues: [{ path: '--force', message: 'needs --promote' }],
    });
  if (o.force && !o.reason?.trim())
    throw new RfmError(
      'INVALID_INPUT',
      'a forced promotion needs a reason (--reason "…") so the override is on record',
      {
        issues: [{ path: '--reason', message: 'required with --force' }],
      },
    );
}

/**
 * `rfm train --promote`: the freshly registered version asks for production through the same
 * policy as `rfm models promote` (the registry records the rules and any override with the event).
 * A refusal leaves the version registered as a candidate and says how to override.
 */
export async function promoteThroughPolicy(
  o: { registryPath: string; modelName: string; actor: string; force?: boolean; reason?: string },
  reg: { version: number; aliases: string[] },
): Promise<PromotionOutcome> {
  // loaded here, not with @rfm/training: `rfm train` reads the export while the registry loads
  const { PRODUCTION, Registry } = await import('@rfm/registry');
  if (reg.aliases.includes(PRODUCTION))
    return { from: null, to: reg.version, first_version: true, forced: false, rules: [] };
  const registry = await Registry.open(o.registryPath);
  try {
    const move = await registry.promote(o.modelName, reg.version, {
      actor: o.actor,
      reason: o.reason?.trim() || 'rfm train --promote',
      force: o.force === true,
    });
    return { from: move.from, to: move.to, first_version: false, forced: move.forced, rules: move.rules };
  } catch (e) {
    if (isRfmError(e) && e.code === 'POLICY_REFUSED')
      throw new RfmError(
        'POLICY_REFUSED',
        `v${reg.version} of "${o.modelName}" is registered as a candidate; ${e.message}.` +
          ` Production is unchanged; to override: rfm models promote ${reg.version} --model ${o.modelName} --force --reason "…"`,
        { issues: e.issues, details: { ...e.details, version: reg.version } },
      );
    throw e;
  } finally {
    await registry.close();
  }
}

import { RfmError, zodIssues } from '@rfm/shared';
import { checkServable, lockModel, moveAlias } from './aliases.js';
import { recordEvent } from './events.js';
import { now, PRODUCTION } from './names.js';
import {
  DEFAULT_POLICY,
  evaluatePolicy,
  PromotionPolicySchema,
  type PromotionPolicy,
  type RuleResult,
} from './policy.js';
import { getVersion, resolveAlias } from './records.js';
import type { Db, Store } from './store/store.js';
import type { ActorReason, AliasMove } from './types.js';

export type Promotion = AliasMove & { rules: RuleResult[]; forced: boolean };

export async function policyOf(db: Db, modelName: string): Promise<PromotionPolicy> {
  const row = await db
    .selectFrom('policies as p')
    .innerJoin('models as m', 'm.id', 'p.model_id')
    .select('p.policy_json')
    .where('m.name', '=', modelName)
    .executeTakeFirst();
  return row ? PromotionPolicySchema.parse(JSON.parse(row.policy_json)) : { ...DEFAULT_POLICY };
}

/** Evaluate the promotion policy for a version against the current production, moving nothing. */
export async function checkPolicy(db: Db, modelName: string, version: number): Promise<RuleResult[]> {
  const cand = await getVersion(db, modelName, version);
  const prodV = await resolveAlias(db, modelName, PRODUCTION);
  const prod = prodV === null ? null : await getVersion(db, modelName, prodV);
  return evaluatePolicy(
    await policyOf(db, modelName),
    { version, metrics: cand.metrics, customers: cand.data.customers },
    prod && { version: prod.version, metrics: prod.metrics },
  );
}

/**
 * Move production to a version: the artifact is verified first (ARTIFACT_CORRUPT otherwise), then
 * the model's policy is checked. A refusal lists every failed rule with its numbers; `force`
 * overrides it but needs a reason, and the override and the rules are recorded with the event.
 */
export async function promote(
  store: Store,
  trx: Db,
  modelName: string,
  version: number,
  by: ActorReason & { force?: boolean },
): Promise<Promotion> {
  const model = await lockModel(store, trx, modelName);
  await checkServable(trx, modelName, version);
  const rules = await checkPolicy(trx, modelName, version);
  const failed = rules.filter((r) => !r.passed);
  if (failed.length && !by.force)
    throw new RfmError(
      'POLICY_REFUSED',
      `promotion of v${version} refused by policy: ${failed.map((r) => r.message).join('; ')}`,
      { issues: failed.map((r) => ({ path: r.rule, message: r.message })), details: { rules } },
    );
  if (failed.length && !by.reason?.trim())
    throw new RfmError(
      'INVALID_INPUT',
      'a forced promotion needs a reason (--reason "…") so the override is on record',
    );
  const forced = failed.length > 0;
  const move = await moveAlias(
    store,
    trx,
    { id: model.id, name: modelName },
    PRODUCTION,
    version,
    by,
    'alias_set',
    null,
    {
      forced,
      rules,
    },
  );
  return { ...move, rules, forced };
}

export async function setPolicy(
  store: Store,
  trx: Db,
  modelName: string,
  change: Partial<PromotionPolicy>,
  by: ActorReason,
): Promise<PromotionPolicy> {
  const model = await lockModel(store, trx, modelName);
  const before = await policyOf(trx, modelName);
  const r = PromotionPolicySchema.safeParse({ ...before, ...change });
  if (!r.success)
    throw new RfmError(
      'INVALID_INPUT',
      `invalid policy: ${zodIssues(r.error)[0]?.path}: ${zodIssues(r.error)[0]?.message}`,
      {
        issues: zodIssues(r.error),
      },
    );
  await trx
    .insertInto('policies')
    .values({ model_id: model.id, policy_json: JSON.stringify(r.data), updated_at: now() })
    .onConflict((oc) =>
      oc.column('model_id').doUpdateSet((eb) => ({
        policy_json: eb.ref('excluded.policy_json'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
  await recordEvent(trx, model.id, {
    actor: by.actor,
    action: 'policy',
    alias: null,
    from: null,
    to: null,
    reason: by.reason ?? '',
    details: { before, after: r.data },
  });
  return r.data;
}

import { isRfmError, RfmError } from '@rfm/shared';
import { checkServable, lockModel, moveAlias } from './aliases.js';
import type { Db, Store } from './store/store.js';
import type { ActorReason, AliasMove } from './types.js';

/** A version rollback passed over, and why (archived, deleted, or its artifact is damaged). */
export interface SkippedTarget {
  version: number;
  why: string;
}

/**
 * Undo the latest alias move that has not been undone yet: the alias goes back to the version it
 * held before that move. Repeatable: each rollback steps one move further back in history.
 *
 * A version that can no longer be served (archived, deleted, or failing its sha256/schema) is
 * skipped and the walk goes one move further back; the skipped versions and the moves passed over
 * are recorded with the rollback event (`details.skipped`, `details.undoes`) and returned, so the
 * caller can say so. Version numbers are never reused (see register.ts), so "the version before"
 * in the history always means the same model.
 */
export async function rollback(
  store: Store,
  trx: Db,
  modelName: string,
  alias: string,
  by: ActorReason,
): Promise<AliasMove & { skipped: SkippedTarget[] }> {
  const model = await lockModel(store, trx, modelName);
  const rows = await trx
    .selectFrom('events')
    .select(['id', 'action', 'from_version', 'to_version', 'ref_event_id', 'details_json'])
    .where('model_id', '=', model.id)
    .where('alias', '=', alias)
    .orderBy('id', 'desc')
    .execute();
  const undone = new Set<number>();
  for (const r of rows) {
    if (r.action !== 'rollback') continue;
    if (r.ref_event_id !== null) undone.add(r.ref_event_id);
    for (const id of parseUndoes(r.details_json)) undone.add(id);
  }
  const moves = rows.filter((r) => (r.action === 'alias_set' || r.action === 'alias_delete') && !undone.has(r.id));
  if (!moves.length)
    throw new RfmError('CONFLICT', `alias "${alias}" of "${modelName}" has no earlier version to roll back to`);
  const skipped: SkippedTarget[] = [];
  const passed: number[] = [];
  for (const m of moves) {
    passed.push(m.id);
    if (m.from_version === null) break;
    const why = await unservable(trx, modelName, m.from_version);
    if (why === null) {
      const move = await moveAlias(
        store,
        trx,
        { id: model.id, name: modelName },
        alias,
        m.from_version,
        by,
        'rollback',
        m.id,
        skipped.length ? { skipped, undoes: passed } : undefined,
      );
      return { ...move, skipped };
    }
    skipped.push({ version: m.from_version, why });
  }
  const last = moves[passed.length - 1]!;
  if (skipped.length)
    throw new RfmError(
      'CONFLICT',
      `alias "${alias}" of "${modelName}" has no earlier version that can be served (skipped ${skipped.map((s) => `v${s.version}: ${s.why}`).join('; ')})`,
      { details: { skipped } },
    );
  throw new RfmError(
    'CONFLICT',
    `alias "${alias}" of "${modelName}" had no version before ${last.to_version}; nothing to roll back to`,
  );
}

async function unservable(trx: Db, modelName: string, version: number): Promise<string | null> {
  try {
    await checkServable(trx, modelName, version);
    return null;
  } catch (e) {
    if (!isRfmError(e)) throw e;
    if (e.code === 'NOT_FOUND') return 'deleted';
    if (e.code === 'CONFLICT') return 'archived';
    if (e.code === 'ARTIFACT_CORRUPT') return 'artifact damaged';
    throw e;
  }
}

function parseUndoes(details: string | null): number[] {
  if (!details) return [];
  try {
    const d = JSON.parse(details) as { undoes?: unknown };
    return Array.isArray(d.undoes) ? d.undoes.filter((x): x is number => typeof x === 'number') : [];
  } catch {
    return [];
  }
}

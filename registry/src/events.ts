import { now } from './names.js';
import { builtOnce } from './store/built-once.js';
import type { Db } from './store/store.js';
import type { EventRecord } from './types.js';

/** One entry of the append-only audit log; written in the same transaction as the change it records. */
export interface NewEvent {
  actor: string;
  action: string;
  alias: string | null;
  from: number | null;
  to: number | null;
  reason: string;
  ref?: number | null;
  details?: unknown;
}

export async function recordEvent(trx: Db, modelId: number, e: NewEvent): Promise<number> {
  const row = await trx
    .insertInto('events')
    .values({
      model_id: modelId,
      at: now(),
      actor: e.actor,
      action: e.action,
      alias: e.alias,
      from_version: e.from,
      to_version: e.to,
      reason: e.reason,
      ref_event_id: e.ref ?? null,
      details_json: e.details === undefined ? null : JSON.stringify(e.details),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

const EVENT_COLUMNS = [
  'id',
  'at',
  'actor',
  'action',
  'alias',
  'from_version',
  'to_version',
  'reason',
  'ref_event_id',
] as const;
// built once (store/built-once.ts): one shape with the alias filter, one without
const allEvents = builtOnce((db: Db, modelId: number, limit: number) =>
  db.selectFrom('events').select(EVENT_COLUMNS).where('model_id', '=', modelId).orderBy('id', 'desc').limit(limit),
);
const aliasEvents = builtOnce((db: Db, modelId: number, alias: string, limit: number) =>
  db
    .selectFrom('events')
    .select(EVENT_COLUMNS)
    .where('model_id', '=', modelId)
    .where('alias', '=', alias)
    .orderBy('id', 'desc')
    .limit(limit),
);

export async function history(
  db: Db,
  modelId: number,
  modelName: string,
  opts: { alias?: string; limit?: number } = {},
): Promise<EventRecord[]> {
  const limit = opts.limit ?? 1000;
  const rows =
    opts.alias === undefined ? await allEvents(db, modelId, limit) : await aliasEvents(db, modelId, opts.alias, limit);
  return rows.map((r) => ({
    id: r.id,
    modelName,
    at: r.at,
    actor: r.actor,
    action: r.action,
    alias: r.alias,
    fromVersion: r.from_version,
    toVersion: r.to_version,
    reason: r.reason,
    refEventId: r.ref_event_id,
  }));
}

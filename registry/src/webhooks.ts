import { z } from 'zod';
import { RfmError } from '@rfm/shared';
import { lockModel } from './aliases.js';
import { recordEvent } from './events.js';
import { now } from './names.js';
import type { ActorReason } from './types.js';
import type { Db, Store } from './store/store.js';

/**
 * The webhook of a model: one http(s) URL a JSON summary of every saved run is posted to (the
 * posting is @rfm/runs' webhook.ts). The URL may carry a secret (many services put one in the
 * path or query), so the audit event records only its origin.
 */
export const WebhookUrlSchema = z
  .string()
  .max(2000, 'at most 2,000 characters')
  .refine((s) => URL.canParse(s), 'not a URL')
  .refine((s) => /^https?:$/.test(URL.canParse(s) ? new URL(s).protocol : ''), 'only http:// and https:// URLs')
  .refine((s) => !URL.canParse(s) || new URL(s).hostname !== '', 'no host');

export function checkWebhookUrl(url: string): string {
  const r = WebhookUrlSchema.safeParse(url);
  if (!r.success)
    throw new RfmError('INVALID_INPUT', `webhook URL: ${r.error.issues[0]!.message}`, {
      issues: [{ path: '--url', message: r.error.issues[0]!.message, expected: 'an http(s) URL' }],
    });
  return r.data;
}

/** The part of a URL safe to show and log: scheme, host and port. */
export function urlOrigin(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : '(invalid URL)';
}

export async function webhookOf(db: Db, modelName: string): Promise<string | null> {
  const row = await db
    .selectFrom('run_webhooks as w')
    .innerJoin('models as m', 'm.id', 'w.model_id')
    .select('w.url')
    .where('m.name', '=', modelName)
    .executeTakeFirst();
  return row?.url ?? null;
}

/** Set (a URL) or clear (null) a model's webhook, with its audit event. */
export async function setWebhook(
  store: Store,
  trx: Db,
  modelName: string,
  url: string | null,
  by: ActorReason,
): Promise<string | null> {
  const checked = url === null ? null : checkWebhookUrl(url);
  const model = await lockModel(store, trx, modelName);
  const before = await webhookOf(trx, modelName);
  if (checked === null) await trx.deleteFrom('run_webhooks').where('model_id', '=', model.id).execute();
  else
    await trx
      .insertInto('run_webhooks')
      .values({ model_id: model.id, url: checked, updated_at: now() })
      .onConflict((oc) =>
        oc
          .column('model_id')
          .doUpdateSet((eb) => ({ url: eb.ref('excluded.url'), updated_at: eb.ref('excluded.updated_at') })),
      )
      .execute();
  await recordEvent(trx, model.id, {
    actor: by.actor,
    action: 'webhook',
    alias: null,
    from: null,
    to: null,
    reason: by.reason ?? '',
    details: {
      before: before === null ? null : urlOrigin(before),
      after: checked === null ? null : urlOrigin(checked),
    },
  });
  return checked;
}

import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { RfmError, SegmentSummarySchema } from '@rfm/shared';
import { recordEvent } from './events.js';
import { decodeFeatures, encodeFeatures, FEATURES_ENCODING } from './features-blob.js';
import type { Db } from './store/store.js';

/**
 * Erasure of one customer ("right to be forgotten"): out of every saved run's customers and every
 * version's stored training customers, in the one transaction the caller opened, with one
 * `customer_erase` event per model touched. The event never holds the id: it holds a keyed hash
 * (HMAC-SHA256 under a random per-registry key kept in `registry_secrets`), so a second request for
 * the same person is recognised while the audit trail, logs and copies of it name nobody. The key
 * lives with the registry (a copy carries it; an environment variable could be lost or differ
 * between servers); someone holding the whole database can test a guessed id against the events,
 * which tells them only that this id was erased.
 *
 * Runs' customers are @rfm/runs' encoding, not the registry's: the caller passes a rewriter that
 * decodes, filters and re-encodes a run (and recomputes its summary), or answers null when the
 * customer is not in it.
 */
export interface RunToRewrite {
  id: string;
  encoding: string;
  blob: Uint8Array;
  summary: z.output<typeof SegmentSummarySchema>[];
}
export interface RewrittenRun {
  blob: Uint8Array;
  customers: number;
  summary: z.input<typeof SegmentSummarySchema>[];
  /** the encoding tag of the new blob */
  encoding: string;
  /** run facts recomputed from what is left (e.g. attribute and consent counts), merged over the old */
  facts?: Record<string, unknown>;
}
export type RunRewriter = (run: RunToRewrite) => RewrittenRun | null | Promise<RewrittenRun | null>;

export interface ErasureResult {
  /** the keyed hash recorded in the events (hex) */
  subject: string;
  /** saved runs the customer was removed from */
  runs: string[];
  /** versions whose training customers held the customer */
  versions: { model: string; version: number }[];
  /** when earlier erasures of the same person were recorded (oldest first); empty for a first erasure */
  erasedBefore: string[];
  /** false when the customer was in nothing (then nothing changed and no event was recorded) */
  changed: boolean;
}

export const ERASE_ACTION = 'customer_erase';
const KEY_NAME = 'erasure_hmac_key';

/** The per-registry key, created (32 random bytes) by the first erasure; concurrent creators agree on one. */
async function erasureKey(trx: Db): Promise<Buffer> {
  await trx
    .insertInto('registry_secrets')
    .values({ name: KEY_NAME, value: randomBytes(32).toString('hex') })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await trx
    .selectFrom('registry_secrets')
    .select('value')
    .where('name', '=', KEY_NAME)
    .executeTakeFirstOrThrow();
  return Buffer.from(row.value, 'hex');
}

export function subjectHash(key: Buffer, cid: string): string {
  return createHmac('sha256', key).update(cid, 'utf8').digest('hex');
}

export async function eraseCustomer(
  trx: Db,
  cid: string,
  rewrite: RunRewriter,
  by: { actor: string; reason: string },
): Promise<ErasureResult> {
  const subject = subjectHash(await erasureKey(trx), cid);
  const earlier = await trx
    .selectFrom('events')
    .select('at')
    .where('action', '=', ERASE_ACTION)
    .where('details_json', 'like', `%"subject":"${subject}"%`)
    .orderBy('at')
    .execute();
  const erasedBefore = [...new Set(earlier.map((e) => e.at))];

  const touched = new Map<number, { runs: string[]; versions: number[] }>();
  const touch = (model: number) => {
    const t = touched.get(model) ?? { runs: [], versions: [] };
    touched.set(model, t);
    return t;
  };
  // one run at a time: each holds every customer of an export (tens of MB for a million)
  const runs: string[] = [];
  const runIds = await trx.selectFrom('runs').select(['id', 'model_id']).orderBy('id').execute();
  for (const { id, model_id } of runIds) {
    const row = await trx
      .selectFrom('runs')
      .select(['customers_encoding', 'customers_blob', 'summary', 'facts'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const b = row.customers_blob;
    const out = await rewrite({
      id,
      encoding: row.customers_encoding,
      blob: new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
      summary: z.array(SegmentSummarySchema).parse(JSON.parse(row.summary)),
    });
    if (!out) continue;
    const facts = { ...(JSON.parse(row.facts) as Record<string, unknown>), ...out.facts, customers: out.customers };
    await trx
      .updateTable('runs')
      .set({
        customers_blob: Buffer.from(out.blob.buffer, out.blob.byteOffset, out.blob.byteLength),
        customers_encoding: out.encoding,
        customers: out.customers,
        summary: JSON.stringify(z.array(SegmentSummarySchema).parse(out.summary)),
        facts: JSON.stringify(facts),
      })
      .where('id', '=', id)
      .execute();
    runs.push(id);
    touch(model_id).runs.push(id);
  }

  const versions: { model: string; version: number }[] = [];
  const featureRows = await trx
    .selectFrom('features as f')
    .innerJoin('versions as v', 'v.id', 'f.version_id')
    .innerJoin('models as m', 'm.id', 'v.model_id')
    .select(['f.version_id', 'v.model_id', 'v.version', 'm.name'])
    .orderBy('f.version_id')
    .execute();
  for (const fr of featureRows) {
    const row = await trx
      .selectFrom('features')
      .select(['encoding', 'bytes'])
      .where('version_id', '=', fr.version_id)
      .executeTakeFirstOrThrow();
    if (row.encoding !== FEATURES_ENCODING)
      throw new RfmError(
        'REGISTRY_ERROR',
        `features of ${fr.name} v${fr.version} use unknown encoding ${row.encoding}`,
      );
    const f = decodeFeatures(Buffer.from(row.bytes));
    const keep: number[] = [];
    for (let i = 0; i < f.cids.length; i++) if (f.cids[i] !== cid) keep.push(i);
    if (keep.length === f.cids.length) continue;
    const raw = new Float64Array(keep.length * 3);
    for (let j = 0; j < keep.length; j++) raw.set(f.raw.subarray(keep[j]! * 3, keep[j]! * 3 + 3), j * 3);
    await trx
      .updateTable('features')
      .set({ customers: keep.length, bytes: encodeFeatures({ cids: keep.map((i) => f.cids[i]!), raw }) })
      .where('version_id', '=', fr.version_id)
      .execute();
    versions.push({ model: fr.name, version: fr.version });
    touch(fr.model_id).versions.push(fr.version);
  }

  // a finished job's error text could quote a value of the export (a customer id among them)
  const jobs = await trx.selectFrom('run_jobs').select(['id', 'error', 'options_json', 'result_json']).execute();
  for (const j of jobs)
    if ([j.error, j.options_json, j.result_json].some((v) => v?.includes(cid)))
      await trx
        .updateTable('run_jobs')
        .set({
          error: j.error?.includes(cid) ? 'redacted: the message named an erased customer' : j.error,
          options_json: j.options_json.includes(cid) ? '{}' : j.options_json,
          result_json: j.result_json?.includes(cid) ? null : j.result_json,
        })
        .where('id', '=', j.id)
        .execute();

  for (const [model, t] of touched)
    await recordEvent(trx, model, {
      actor: by.actor,
      action: ERASE_ACTION,
      alias: null,
      from: null,
      to: null,
      reason: by.reason,
      details: { subject, runs: t.runs, versions: t.versions, erased_before: erasedBefore.length },
    });
  return { subject, runs, versions, erasedBefore, changed: touched.size > 0 };
}

import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { RfmError, RUN_ID_PATTERN, RunDriftSchema, RunFactsSchema, SegmentSummarySchema } from '@rfm/shared';
import { recordEvent } from './events.js';
import { now } from './names.js';
import { getVersion, modelId } from './records.js';
import type { Db } from './store/store.js';

/**
 * Saved scoring runs: one row per run with its facts and per-segment summary as JSON, and every
 * customer's result as one compact blob (its encoding is @rfm/runs' business: the registry keeps
 * bytes and the encoding's name). A save and a delete are each one transaction with its event.
 */
export interface NewRun {
  /** generated (`r-YYYYMMDD-xxxxxxxx`) when absent; a server passes the id its job already has */
  id?: string;
  modelName: string;
  version: number;
  exportName: string;
  exportSha256: string;
  snapshotDate: string;
  rowsRead: number;
  rowsDropped: Record<string, number>;
  customers: number;
  summary: z.input<typeof SegmentSummarySchema>[];
  facts: z.input<typeof RunFactsSchema>;
  customersBlob: Uint8Array;
  customersEncoding: string;
  /** how the run's customers differ from the version's training customers (null: not measured) */
  drift?: z.input<typeof RunDriftSchema> | null;
}

const RunRowSchema = z.object({
  id: z.string().regex(RUN_ID_PATTERN),
  modelName: z.string(),
  version: z.number().int().positive(),
  exportName: z.string(),
  exportSha256: z.string().regex(/^[0-9a-f]{64}$/),
  snapshotDate: z.string(),
  rowsRead: z.coerce.number().int().nonnegative(),
  rowsDropped: z.record(z.string(), z.number().int().nonnegative()),
  customers: z.number().int().nonnegative(),
  createdBy: z.string(),
  createdAt: z.string(),
  summary: z.array(SegmentSummarySchema),
  facts: RunFactsSchema,
  customersEncoding: z.string(),
  /** size of the stored customers blob */
  customersBytes: z.coerce.number().int().nonnegative(),
  /** null for runs saved before drift was measured, or of a version without stored training customers */
  drift: RunDriftSchema.nullable(),
});
export type RunRecord = z.output<typeof RunRowSchema>;

export function newRunId(at = new Date()): string {
  return `r-${at.toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(4).toString('hex')}`;
}

export function checkRunId(id: string): string {
  if (!RUN_ID_PATTERN.test(id))
    throw new RfmError('INVALID_INPUT', `invalid run id ${JSON.stringify(id).slice(0, 40)}`, {
      issues: [{ path: 'run', message: 'invalid run id', expected: 'r-YYYYMMDD-hex', found: id.slice(0, 40) }],
    });
  return id;
}

function notFound(id: string): RfmError {
  return new RfmError('NOT_FOUND', `no saved run with id ${JSON.stringify(id.slice(0, 40))} in the registry`);
}

/** An id to look up: a malformed one cannot exist, so it is simply not found (never reaches a query). */
function lookupId(id: string): string {
  if (!RUN_ID_PATTERN.test(id)) throw notFound(id);
  return id;
}

function runQuery(db: Db) {
  return db
    .selectFrom('runs as r')
    .innerJoin('models as m', 'm.id', 'r.model_id')
    .select((eb) => [
      'r.id',
      'm.name as model_name',
      'r.version',
      'r.export_name',
      'r.export_sha256',
      'r.snapshot_date',
      'r.rows_read',
      'r.rows_dropped',
      'r.customers',
      'r.created_by',
      'r.created_at',
      'r.summary',
      'r.facts',
      'r.customers_encoding',
      'r.drift',
      eb.fn<number | string>('length', ['r.customers_blob']).as('blob_bytes'),
    ]);
}
type Row = Awaited<ReturnType<ReturnType<typeof runQuery>['executeTakeFirstOrThrow']>>;

/** A stored row back to a RunRecord, checked: a damaged row is the registry's fault, named as such. */
function toRecord(r: Row): RunRecord {
  const parsed = RunRowSchema.safeParse({
    id: r.id,
    modelName: r.model_name,
    version: r.version,
    exportName: r.export_name,
    exportSha256: r.export_sha256,
    snapshotDate: r.snapshot_date,
    rowsRead: r.rows_read,
    rowsDropped: parseJson(r.rows_dropped),
    customers: r.customers,
    createdBy: r.created_by,
    createdAt: r.created_at,
    summary: parseJson(r.summary),
    facts: parseJson(r.facts),
    customersEncoding: r.customers_encoding,
    customersBytes: r.blob_bytes,
    drift: r.drift === null ? null : parseJson(r.drift),
  });
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new RfmError('REGISTRY_ERROR', `saved run ${r.id} is damaged: ${i.path.join('.')}: ${i.message}`);
  }
  return parsed.data;
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined; // reported by the schema as a damaged field
  }
}

export async function saveRun(trx: Db, input: NewRun, actor: string): Promise<RunRecord> {
  const id = checkRunId(input.id ?? newRunId());
  const facts = RunFactsSchema.parse(input.facts);
  const summary = z.array(SegmentSummarySchema).parse(input.summary);
  const drift = input.drift ? RunDriftSchema.parse(input.drift) : null;
  if (facts.modelName !== input.modelName || facts.version !== input.version)
    throw new RfmError('INVALID_INPUT', 'run facts name another model or version than the run');
  const mid = await modelId(trx, input.modelName);
  await getVersion(trx, input.modelName, input.version); // NOT_FOUND for a version that does not exist
  const clash = await trx.selectFrom('runs').select('id').where('id', '=', id).executeTakeFirst();
  if (clash) throw new RfmError('CONFLICT', `a saved run with id "${id}" already exists`);
  await trx
    .insertInto('runs')
    .values({
      id,
      model_id: mid,
      version: input.version,
      export_name: input.exportName,
      export_sha256: input.exportSha256,
      snapshot_date: input.snapshotDate,
      rows_read: input.rowsRead,
      rows_dropped: JSON.stringify(input.rowsDropped),
      customers: input.customers,
      created_by: actor,
      created_at: now(),
      summary: JSON.stringify(summary),
      facts: JSON.stringify(facts),
      customers_blob: Buffer.from(
        input.customersBlob.buffer,
        input.customersBlob.byteOffset,
        input.customersBlob.byteLength,
      ),
      customers_encoding: input.customersEncoding,
      drift: drift ? JSON.stringify(drift) : null,
    })
    .execute();
  await recordEvent(trx, mid, {
    actor,
    action: 'run_save',
    alias: null,
    from: null,
    to: input.version,
    reason: '',
    details: {
      run: id,
      export: input.exportName,
      customers: input.customers,
      ...(drift ? { retrain_advised: drift.retrainAdvised } : {}),
    },
  });
  return getRun(trx, id);
}

export async function listRuns(db: Db, opts: { model?: string } = {}): Promise<RunRecord[]> {
  let q = runQuery(db);
  if (opts.model !== undefined) q = q.where('r.model_id', '=', await modelId(db, opts.model));
  const rows = await q.orderBy('r.created_at', 'desc').orderBy('r.id', 'desc').execute();
  return rows.map(toRecord);
}

export async function getRun(db: Db, id: string): Promise<RunRecord> {
  const row = await runQuery(db).where('r.id', '=', lookupId(id)).executeTakeFirst();
  if (!row) throw notFound(id);
  return toRecord(row);
}

/** The customers blob as stored (its encoding is the run's `customersEncoding`). */
export async function runCustomers(db: Db, id: string): Promise<Uint8Array> {
  const row = await db.selectFrom('runs').select('customers_blob').where('id', '=', lookupId(id)).executeTakeFirst();
  if (!row) throw notFound(id);
  const b = row.customers_blob;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export async function deleteRun(trx: Db, id: string, actor: string): Promise<RunRecord> {
  const run = await getRun(trx, id);
  const mid = await modelId(trx, run.modelName);
  await trx.deleteFrom('runs').where('id', '=', run.id).execute();
  await recordEvent(trx, mid, {
    actor,
    action: 'run_delete',
    alias: null,
    from: run.version,
    to: null,
    reason: '',
    details: { run: run.id, export: run.exportName },
  });
  return run;
}

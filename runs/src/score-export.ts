import { basename } from 'node:path';
import { aggregateExport, readRfmTable, sqlString, withDuck, type FrequencyBasis, type RfmTable } from '@rfm/ingest';
import type { LoadedModel } from '@rfm/registry';
import { isRfmError, RfmError, type DataSummary } from '@rfm/shared';
import { PROGRESS_EVERY_MS, withReadProgress } from './read-progress.js';
import { scoreTable } from './score-table.js';
import { summarize } from './summary.js';
import {
  CONSENT_NO,
  CONSENT_YES,
  type RunFacts,
  type ScoredCustomers,
  type ScoredExport,
  type ScoreOptions,
} from './types.js';

const BASIS_WORDS: Record<FrequencyBasis, string> = {
  invoices: 'distinct invoices',
  days: 'distinct purchase days',
  rows: 'rows',
};

/**
 * What frequency must count for the version's features to mean what they meant in training: the
 * version's own basis. A different `--frequency` is refused (the model would compare different
 * things); older artifacts without a recorded basis leave it to the export, as training did.
 */
function basisFor(model: LoadedModel, asked: FrequencyBasis | undefined): FrequencyBasis | undefined {
  const trained = model.artifact.data.frequency_basis;
  if (asked && trained && asked !== trained)
    throw new RfmError(
      'INVALID_INPUT',
      `version ${model.version} of "${model.modelName}" counts frequency as ${BASIS_WORDS[trained]}; ` +
        `--frequency ${asked} would score features it was not trained on`,
      { issues: [{ path: '--frequency', message: 'differs from the version', expected: trained, found: asked }] },
    );
  return asked ?? trained;
}

/** The version's frequency needs an invoice column the export lacks: say so, naming the column. */
function missingInvoice(e: unknown, model: LoadedModel): unknown {
  if (!isRfmError(e) || e.issues?.[0]?.message !== 'no invoice column') return e;
  const cols = /\(columns: ([^)]*)\)/.exec(e.message)?.[1];
  return new RfmError(
    'INVALID_INPUT',
    `version ${model.version} of "${model.modelName}" counts frequency as distinct invoices, and the export has no invoice column` +
      `${cols ? ` (columns: ${cols})` : ''}; name it with --columns invoice=NAME`,
    { issues: [{ path: 'invoice', message: 'missing column', expected: 'an invoice column' }], cause: e },
  );
}

/**
 * Score every customer of an export with one version: the export is read with exactly training's
 * import rules (@rfm/ingest: column recognition, drops by reason, snapshot rule or `asOf`), then
 * each customer is scored (score-table.ts) and the segments summarised. DuckDB can be held to a
 * thread count, memory limit and spill folder, and is interrupted when `signal` aborts.
 */
export async function scoreExport(source: string, model: LoadedModel, opts: ScoreOptions = {}): Promise<ScoredExport> {
  const { onProgress, progressEveryMs, signal, duckThreads, tempDir, memoryLimit, ...importOpts } = opts;
  const frequency = basisFor(model, importOpts.frequency);
  const aborted = () => new RfmError('CONFLICT', 'the run was cancelled', { details: { cancelled: true } });
  if (signal?.aborted) throw aborted();
  onProgress?.({ phase: 'reading', rowsRead: 0, percent: 0 });
  const read = await withDuck(async (conn) => {
    if (duckThreads !== undefined) await conn.run(`SET threads = ${Math.max(1, Math.floor(duckThreads))}`);
    if (memoryLimit !== undefined) await conn.run(`SET memory_limit = ${sqlString(memoryLimit)}`);
    if (tempDir !== undefined) await conn.run(`SET temp_directory = ${sqlString(tempDir)}`);
    const stop = () => conn.interrupt();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      // a run keeps the export's customer attributes (recognised, or mapped by `attributes`)
      const readOpts = { ...importOpts, attributes: importOpts.attributes ?? {}, ...(frequency ? { frequency } : {}) };
      const agg = onProgress
        ? await withReadProgress(
            conn,
            onProgress,
            (onFilePass) => aggregateExport(conn, source, readOpts, { onFilePass }),
            progressEveryMs ?? PROGRESS_EVERY_MS,
          )
        : await aggregateExport(conn, source, readOpts);
      onProgress?.({ phase: 'aggregating', rowsRead: agg.summary.rows_read, percent: 70 });
      return { table: await readRfmTable(conn, agg.attributes), summary: agg.summary };
    } catch (e) {
      if (signal?.aborted) throw aborted();
      throw missingInvoice(e, model);
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  });
  if (signal?.aborted) throw aborted();
  onProgress?.({ phase: 'scoring', rowsRead: read.summary.rows_read, percent: 80 });
  return scoreRead(read.table, read.summary, model, source);
}

/** Counts of the attributes a run's customers carry (the run page and `rfm runs show` state them). */
export function attributeFacts(c: ScoredCustomers): Pick<RunFacts, 'attributes'> {
  if (!c.email && !c.name && !c.consent) return {};
  let withEmail = 0;
  for (const e of c.email ?? []) if (e !== '') withEmail++;
  let consent: { yes: number; no: number; unknown: number } | null = null;
  if (c.consent) {
    consent = { yes: 0, no: 0, unknown: 0 };
    for (const v of c.consent) {
      if (v === CONSENT_YES) consent.yes++;
      else if (v === CONSENT_NO) consent.no++;
      else consent.unknown++;
    }
  }
  const present = (['email', 'name', 'consent'] as const).filter((k) => c[k] !== undefined);
  return { attributes: { present: [...present], withEmail, consent } };
}

/** The scoring half of scoreExport, on a table already read (also what the tests compare with training). */
export function scoreRead(table: RfmTable, summary: DataSummary, model: LoadedModel, source: string): ScoredExport {
  const customers = scoreTable(table, model.artifact);
  const facts: RunFacts = {
    exportName: basename(source),
    exportSha256: summary.source.sha256,
    snapshotDate: summary.snapshot_date,
    rowsRead: summary.rows_read,
    rowsDropped: summary.rows_dropped,
    customers: customers.cid.length,
    frequencyBasis: summary.frequency_basis ?? 'invoices',
    modelName: model.modelName,
    version: model.version,
    ...attributeFacts(customers),
  };
  return { facts, customers, summary: summarize(customers, model.artifact.segments) };
}

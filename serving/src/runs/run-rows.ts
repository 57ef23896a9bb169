import type { Registry } from '@rfm/registry';
import {
  ALL_CUSTOMERS,
  CONSENT_NO,
  CONSENT_YES,
  consentAllows,
  CONSENTED_ONLY,
  customerHistory,
  customersCsv,
  diffRuns,
  filtersConsent,
  type ListOptions,
  labelsFromSummary,
  loadSavedRun,
  OUTLIER_UNKNOWN,
  OUTLIER_YES,
  rowsForRun,
  selectClusters,
  type CustomerRows,
} from '@rfm/runs';

/**
 * The heavy half of GET /api/v1/runs/:id/customers and /diff: decoding saved runs' customers (a
 * 1M-customer run is a few hundred ms of one core), their history from earlier runs, the CSV /
 * JSON-lines text and the migration matrix. Run in the runs worker thread (runs-worker.ts), never
 * on the event loop that answers predictions; the route checks the run's state first.
 */

/** A saved run as the writers take it, with its customers' history from the model's earlier saved runs. */
export async function savedRunRows(reg: Registry, id: string): Promise<CustomerRows> {
  const s = await loadSavedRun(reg, id);
  const earlier = [];
  for (const o of await reg.listRuns({ model: s.run.modelName }))
    if (o.id !== id && o.snapshotDate < s.run.snapshotDate) earlier.push(await loadSavedRun(reg, o.id));
  const history = customerHistory(
    { customers: s.customers, labels: labelsFromSummary(s.run.summary), snapshotDate: s.run.snapshotDate },
    earlier,
  );
  return rowsForRun(s, history);
}

/** The customers as CSV or JSON lines, in chunks; an unknown segment throws at the first next(). */
export function customerChunks(rows: CustomerRows, format: 'csv' | 'ndjson', list: ListOptions): Generator<string> {
  return format === 'ndjson' ? customersNdjson(rows, list) : customersCsv(rows, list);
}

/** The migration from run `against` to run `id`, as the JSON text the route sends. */
export async function diffJson(reg: Registry, id: string, against: string): Promise<string> {
  const b = await loadSavedRun(reg, id);
  const a = await loadSavedRun(reg, against);
  return JSON.stringify(diffRuns(a, b));
}

/** The customers as JSON lines (the CSV's columns as fields; numbers as numbers, outlier true/false/null). */
function* customersNdjson(rows: CustomerRows, list: ListOptions): Generator<string> {
  const c = rows.customers;
  const only = selectClusters(rows, list.segment);
  const h = rows.history ?? null;
  const filter = filtersConsent(c, list) ? CONSENTED_ONLY : ALL_CUSTOMERS;
  let out = '';
  let n = 0;
  for (let i = 0; i < c.cid.length; i++) {
    const cl = c.cluster[i]!;
    if (only && !only.has(cl)) continue;
    if (!consentAllows(c, i, list)) continue;
    const o = c.outlier[i]!;
    const v = c.consent?.[i];
    out += `${JSON.stringify({
      cid: c.cid[i],
      ...(c.email ? { email: c.email[i] || null } : {}),
      ...(c.name ? { name: c.name[i] || null } : {}),
      ...(c.consent
        ? { consent: v === CONSENT_YES ? true : v === CONSENT_NO ? false : null, consent_filter: filter }
        : {}),
      recency: c.recency[i],
      frequency: c.frequency[i],
      monetary: c.monetary[i],
      r_score: c.rScore[i],
      f_score: c.fScore[i],
      m_score: c.mScore[i],
      cluster: cl,
      segment: rows.segmentNames[cl],
      distance: Number(c.distance[i]!.toFixed(6)),
      outlier: o === OUTLIER_UNKNOWN ? null : o === OUTLIER_YES,
      previous_segment: h?.previousSegment[i] ?? null,
      segment_since: h?.segmentSince[i] ?? null,
    })}\n`;
    if (++n >= 2048) {
      yield out;
      out = '';
      n = 0;
    }
  }
  yield out;
}

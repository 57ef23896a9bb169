import { setTimeout as sleep } from 'node:timers/promises';
import type { Registry, RunRecord } from '@rfm/registry';
import { SEGMENT_CATALOGUE, type RunDrift } from '@rfm/shared';
import { diffRuns } from './diff.js';
import { earlierRuns } from './saved.js';
import type { ScoredCustomers } from './types.js';

/**
 * The JSON a model's webhook receives for each saved run: counts, shares, revenue and the drift
 * verdict only — never a customer id, row or attribute (a receiver is outside the trust boundary).
 */
export interface RunWebhookPayload {
  event: 'run.saved';
  model: string;
  version: number;
  run_id: string;
  snapshot_date: string;
  customers: number;
  created_at: string;
  segments: {
    segment: string;
    key: string;
    customers: number;
    share: number;
    revenue: number;
    revenue_share: number;
  }[];
  /** the previous saved run of the model the downgrades are counted against (null: first run) */
  previous_run: string | null;
  /** customers in both runs who moved to a lower catalogue segment, largest revenue at stake first (at most 5) */
  downgrades: { from: string; to: string; customers: number; revenue_before: number; revenue_after: number }[];
  /** null: not measured (the version has no stored training customers) */
  retrain_advised: boolean | null;
  drift: {
    psi: RunDrift['psi'];
    outlier_rate: number | null;
    expected_outlier_rate: number;
    reasons: string[];
    segments: { segment: string; training_share: number; share: number }[];
  } | null;
}

/** Catalogue order is best to worst (Champions … Lost): a move to a later entry is a downgrade. */
const RANK = new Map(SEGMENT_CATALOGUE.map((s, i) => [s.key as string, i]));
const MAX_DOWNGRADES = 5;

/**
 * The payload for a just-saved run: its summary, its drift, and the largest downgrades against
 * the model's previous saved run (by catalogue key, so runs of different versions compare).
 */
export async function runWebhookPayload(
  reg: Registry,
  run: RunRecord,
  customers: ScoredCustomers,
): Promise<RunWebhookPayload> {
  const [previous] = await earlierRuns(reg, run.modelName, run, 1);
  const diff = previous ? diffRuns(previous, { run, customers }) : null;
  const downgrades = (diff?.byKey ?? [])
    .filter((t) => (RANK.get(t.to) ?? 0) > (RANK.get(t.from) ?? 0))
    .sort((a, b) => b.revenueBefore - a.revenueBefore || b.customers - a.customers)
    .slice(0, MAX_DOWNGRADES)
    .map((t) => ({
      from: t.fromName,
      to: t.toName,
      customers: t.customers,
      revenue_before: round2(t.revenueBefore),
      revenue_after: round2(t.revenueAfter),
    }));
  const d = run.drift;
  return {
    event: 'run.saved',
    model: run.modelName,
    version: run.version,
    run_id: run.id,
    snapshot_date: run.snapshotDate,
    customers: run.customers,
    created_at: run.createdAt,
    segments: run.summary.map((s) => ({
      segment: s.segment,
      key: s.key,
      customers: s.customers,
      share: s.customerShare,
      revenue: round2(s.revenue),
      revenue_share: s.revenueShare,
    })),
    previous_run: previous?.run.id ?? null,
    downgrades,
    retrain_advised: d ? d.retrainAdvised : null,
    drift: d
      ? {
          psi: d.psi,
          outlier_rate: d.outlierRate,
          expected_outlier_rate: d.expectedOutlierRate,
          reasons: d.reasons,
          segments: d.segments.map((s) => ({ segment: s.segment, training_share: s.trainingShare, share: s.share })),
        }
      : null,
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export interface WebhookDelivery {
  ok: boolean;
  attempts: number;
  /** the last HTTP status (null: no answer — refused, reset or timed out) */
  status: number | null;
  /** why the last attempt failed, in words (never the payload or the full URL) */
  error: string | null;
  ms: number;
}

export interface WebhookOptions {
  /** attempts in all (default 3) */
  attempts?: number;
  /** per attempt: connect + answer (default 5,000 ms) */
  timeoutMs?: number;
  /** wait before retry i (default 500 ms, then 2,000 ms): a down receiver gets a few requests, never a storm */
  backoffMs?: readonly number[];
}

/**
 * POST the payload as JSON, retrying on no answer, a timeout, 429 or 5xx; a 2xx is delivered, any
 * other 4xx is final (the receiver refused it; sending again would not help). Never throws: the
 * caller's run is saved whatever happens here; it gets the outcome to log and count.
 */
export async function postWebhook(url: string, payload: unknown, o: WebhookOptions = {}): Promise<WebhookDelivery> {
  const attempts = Math.max(1, o.attempts ?? 3);
  const timeoutMs = o.timeoutMs ?? 5000;
  const backoff = o.backoffMs ?? [500, 2000];
  const body = JSON.stringify(payload);
  const t0 = performance.now();
  let status: number | null = null;
  let error: string | null = null;
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep(backoff[Math.min(i - 1, backoff.length - 1)] ?? 0);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'rfm-webhook/1' },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      await res.body?.cancel().catch(() => undefined); // the answer's body is not read: free the socket
      if (res.ok) return { ok: true, attempts: i + 1, status, error: null, ms: Math.round(performance.now() - t0) };
      error = `HTTP ${res.status}`;
      if (res.status < 500 && res.status !== 429) return done(false, i + 1);
    } catch (e) {
      status = null;
      const name = (e as Error).name;
      error = name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${timeoutMs} ms` : failure(e);
    }
  }
  return done(false, attempts);

  function done(ok: boolean, n: number): WebhookDelivery {
    return { ok, attempts: n, status, error, ms: Math.round(performance.now() - t0) };
  }
}

/** fetch's "fetch failed" says nothing: the cause (ECONNREFUSED, "bad port", …) does. */
function failure(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message;
}

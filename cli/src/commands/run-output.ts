import { formatShare as pct } from '@rfm/shared/stats';
import type { RunDrift } from '@rfm/shared';
import type { RunDiff, SegmentSummary } from '@rfm/runs';
import { table } from '../output.js';

const int = (n: number) => n.toLocaleString('en-US');
const money = (x: number) => x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const med = (x: number | null, d: number) => (x === null ? '' : x.toFixed(d));

/** The per-segment summary as `rfm score` and `rfm runs show` print it (largest revenue first). */
export function summaryTable(summary: readonly SegmentSummary[]): string {
  return table(
    ['segment', 'customers', 'share', 'revenue', 'revenue share', 'median R (d)', 'median F', 'median M'],
    [...summary]
      .sort((a, b) => b.revenue - a.revenue)
      .map((s) => [
        s.segment,
        int(s.customers),
        pct(s.customerShare),
        money(s.revenue),
        pct(s.revenueShare),
        med(s.medianRecency, 0),
        med(s.medianFrequency, 0),
        med(s.medianMonetary, 2),
      ]),
  );
}

/** A run's drift against its version's training customers, and the retraining verdict with its reasons. */
export function driftText(d: RunDrift | null): string {
  if (!d) return 'drift: not measured (run saved before drift was recorded, or no stored training customers)';
  const verdict = d.retrainAdvised ? `RETRAINING ADVISED: ${d.reasons.join('; ')}` : 'no retraining advised';
  const t = d.thresholds;
  return [
    `drift against ${int(d.trainingCustomers)} training customers: ${verdict}`,
    `PSI recency ${d.psi.recency.toFixed(3)}, frequency ${d.psi.frequency.toFixed(3)}, monetary ${d.psi.monetary.toFixed(3)}` +
      ` (threshold ${t.psi}); outlier rate ${d.outlierRate === null ? 'unknown' : pct(d.outlierRate)}` +
      ` (expected about ${pct(d.expectedOutlierRate)}, threshold ${pct(t.outlierRate)})`,
    table(
      ['segment', 'share at training', 'share now', 'change (points)'],
      d.segments.map((s) => [
        s.segment,
        pct(s.trainingShare),
        pct(s.share),
        `${s.share >= s.trainingShare ? '+' : '−'}${(Math.abs(s.share - s.trainingShare) * 100).toFixed(1)}`,
      ]),
    ),
  ].join('\n');
}

/** The migration between two runs: header, transition matrix (full names), by key when names differ, movers. */
export function diffText(d: RunDiff): string {
  const head =
    `${d.model}: ${d.a.id} (v${d.a.version}, ${d.a.exportName}, snapshot ${d.a.snapshotDate}, ${int(d.a.customers)} customers)` +
    `\n  → ${d.b.id} (v${d.b.version}, ${d.b.exportName}, snapshot ${d.b.snapshotDate}, ${int(d.b.customers)} customers)`;
  const t = d.totals;
  const totals =
    `${int(t.inBoth)} customers in both: ${int(t.stayed)} kept their segment, ${int(t.moved)} moved; ` +
    `${int(t.appeared)} appeared, ${int(t.disappeared)} disappeared`;
  const rows = table(
    ['from', 'to', 'customers', 'revenue before', 'revenue after'],
    d.transitions.map((x) => [x.from, x.to, int(x.customers), money(x.revenueBefore), money(x.revenueAfter)]),
  );
  const parts = [head, totals, '', rows];
  // summed by catalogue key, when full names and keys do not line up one to one
  if (d.byKey.length !== d.transitions.length || d.transitions.some((x) => /\(|—/.test(x.from + x.to)))
    parts.push(
      '',
      'by catalogue segment:',
      table(
        ['from', 'to', 'customers', 'revenue before', 'revenue after'],
        d.byKey.map((x) => [x.fromName, x.toName, int(x.customers), money(x.revenueBefore), money(x.revenueAfter)]),
      ),
    );
  const movers = (title: string, m: RunDiff['appeared']) =>
    m.length
      ? [
          '',
          title,
          table(
            ['segment', 'customers', 'revenue'],
            m.map((x) => [x.segment, int(x.customers), money(x.revenue)]),
          ),
        ]
      : [];
  parts.push(
    ...movers('appeared (only in the newer run):', d.appeared),
    ...movers('disappeared (only in the older run):', d.disappeared),
  );
  return parts.join('\n');
}

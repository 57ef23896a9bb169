import type { RunDiff, SegmentSummary } from '@rfm/runs';
import { table } from '../output.js';

const int = (n: number) => n.toLocaleString('en-US');
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
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

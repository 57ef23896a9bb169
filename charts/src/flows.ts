import { MUTED, PALETTE, render, TEXT } from './render.js';

/**
 * Flows between segments as a Sankey diagram: segments "before" on the left, "after" on the
 * right, one band per (from, to) pair, its width the number of customers. Used for the movement
 * between two scoring runs and for what a promotion would change (two versions on the same
 * customers). The same segment name on both sides is two nodes (a Sankey may not loop), so node
 * ids carry the side and the label shows the name alone.
 */
export interface Flow {
  from: string;
  to: string;
  customers: number;
  /** optional: shown after the customers on the band's tooltip-free label */
  revenue?: number;
}

export interface FlowChartOptions {
  /** e.g. "v3" / "v4", or the two snapshot dates */
  before: string;
  after: string;
  width?: number;
  /** a segment's colour by name (as the pages' swatches draw it); others take the palette in order */
  colours?: Readonly<Record<string, string>>;
}

export const FLOWS_WIDTH = 640;
/** Height grows with the larger side so a band of a few customers stays visible. */
export const flowsHeight = (flows: readonly Flow[]): number => {
  const left = new Set(flows.map((f) => f.from)).size;
  const right = new Set(flows.map((f) => f.to)).size;
  return 80 + Math.max(left, right, 1) * 56;
};

const SEP = '\u001f';
const nodeId = (side: 'a' | 'b', name: string) => `${side}${SEP}${name}`;
const nameOf = (id: string) => id.slice(id.indexOf(SEP) + 1);
const int = (n: number) => Math.round(n).toLocaleString('en-US');

export function flowChart(flows: readonly Flow[], o: FlowChartOptions): string {
  const width = o.width ?? FLOWS_WIDTH;
  const kept = flows.filter((f) => f.customers > 0);
  const names = [...new Set(kept.flatMap((f) => [f.from, f.to]))];
  const colour = (name: string) => o.colours?.[name] ?? PALETTE[names.indexOf(name) % PALETTE.length]!;
  const nodes = [
    ...[...new Set(kept.map((f) => f.from))].map((n) => ({ name: nodeId('a', n), itemStyle: { color: colour(n) } })),
    ...[...new Set(kept.map((f) => f.to))].map((n) => ({ name: nodeId('b', n), itemStyle: { color: colour(n) } })),
  ];
  const total = kept.reduce((s, f) => s + f.customers, 0);
  const links = kept.map((f) => ({
    source: nodeId('a', f.from),
    target: nodeId('b', f.to),
    value: f.customers,
    // a band of customers who stayed is grey-ish, so the eye goes to the ones that moved
    lineStyle: { color: f.from === f.to ? '#c5ccd6' : colour(f.to), opacity: f.from === f.to ? 0.45 : 0.55 },
  }));
  return render(
    {
      title: [
        { text: o.before, left: 8, top: 4, textStyle: { color: MUTED, fontSize: 12, fontWeight: 'normal' } },
        { text: o.after, right: 8, top: 4, textStyle: { color: MUTED, fontSize: 12, fontWeight: 'normal' } },
      ],
      series: [
        {
          type: 'sankey',
          left: 8,
          right: 8,
          top: 28,
          bottom: 12,
          nodeWidth: 14,
          nodeGap: 12,
          layoutIterations: 0, // keep the given order: the same drawing for the same flows
          draggable: false,
          emphasis: { disabled: true },
          data: nodes,
          links,
          label: {
            color: TEXT,
            fontSize: 12,
            formatter: (p: { name: string; value: unknown }) => `${nameOf(p.name)} ${int(Number(p.value))}`,
          },
          levels: [
            { depth: 0, label: { position: 'right' } },
            { depth: 1, label: { position: 'left' } },
          ],
        },
      ],
      aria: {
        enabled: true,
        label: {
          description: `Flows between segments, ${o.before} to ${o.after}, ${int(total)} customers: ${flowsAlt(kept)}`,
        },
      },
    },
    width,
    flowsHeight(kept),
  );
}

/** The chart's text alternative: the largest flows in words (the table beside the chart has them all). */
export function flowsAlt(flows: readonly Flow[], n = 8): string {
  const moved = flows.filter((f) => f.from !== f.to && f.customers > 0).sort((x, y) => y.customers - x.customers);
  const stayed = flows.filter((f) => f.from === f.to).reduce((s, f) => s + f.customers, 0);
  const parts = moved
    .slice(0, n)
    .map(
      (f) =>
        `${int(f.customers)} from ${f.from} to ${f.to}${f.revenue !== undefined ? ` (revenue ${int(f.revenue)})` : ''}`,
    );
  return `${parts.length ? parts.join('; ') : 'nobody changed segment'}${moved.length > n ? '; …' : ''}; ${int(stayed)} stayed in their segment.`;
}

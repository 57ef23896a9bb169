import { createRequire } from 'node:module';
import type { ArtifactSegment, SweepPoint } from '@rfm/shared';

/**
 * The training report's charts: SVG rendered server-side by Apache ECharts (SSR: no DOM, no
 * canvas, no script in the output), inlined in the HTML so the report reads with JavaScript off
 * and needs no other file. Same palette and type as the web UI's charts.
 *
 * ECharts' prebuilt bundle through require(): the modular ESM build is hundreds of files and took
 * ~3 s to import here, the bundle ~0.3 s; it is only loaded for the report phase.
 */
const echarts = createRequire(import.meta.url)('echarts/dist/echarts.min.js') as typeof import('echarts');

/** Okabe–Ito colours, then darker tones (the web UI uses the same list, by cluster). */
export const PALETTE = [
  '#0072b2',
  '#e69f00',
  '#009e73',
  '#cc79a7',
  '#56b4e9',
  '#d55e00',
  '#7f6a00',
  '#444444',
  '#8c564b',
  '#2ca02c',
  '#9467bd',
];
export const colorOf = (cluster: number): string => PALETTE[cluster % PALETTE.length]!;

const TEXT = '#1c2430';
const MUTED = '#5b6675';
const GRID_LINE = { lineStyle: { color: '#e3e7ec' } };
// No quotes: ECharts writes the family into a style attribute without escaping them.
const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif';
const axisLabel = { color: MUTED, fontSize: 12 };
const nameStyle = { color: MUTED, fontSize: 12 };

type Option = Parameters<import('echarts').ECharts['setOption']>[0];

function render(option: Option, width: number, height: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: '#ffffff',
      textStyle: { fontFamily: FONT, color: TEXT, fontSize: 13 },
      aria: { enabled: true },
      ...option,
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

const fmtNum = (v: number) =>
  v >= 1e6 ? `${+(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : `${+v.toFixed(1)}`;
const legendRows = (n: number, perRow: number) => Math.ceil(n / perRow);

/** Elbow curve (inertia, left axis) and mean silhouette (right axis) for each k; the chosen k marked. */
export function sweepChart(points: SweepPoint[], chosen: number): string {
  const ks = points.map((p) => String(p.k));
  return render(
    {
      legend: { bottom: 0, left: 'center', textStyle: { color: TEXT, fontSize: 12 } },
      grid: { left: 50, right: 50, top: 30, bottom: 60, containLabel: true },
      xAxis: {
        type: 'category',
        data: ks,
        name: 'k (number of segments)',
        nameLocation: 'middle',
        nameGap: 26,
        nameTextStyle: nameStyle,
        axisLabel: { ...axisLabel, color: TEXT },
      },
      yAxis: [
        {
          type: 'value',
          name: 'inertia',
          nameTextStyle: nameStyle,
          axisLabel: { ...axisLabel, formatter: fmtNum },
          splitLine: GRID_LINE,
          scale: true,
        },
        {
          type: 'value',
          name: 'silhouette',
          nameTextStyle: nameStyle,
          axisLabel,
          splitLine: { show: false },
          scale: true,
        },
      ],
      series: [
        {
          type: 'line',
          name: 'inertia (elbow)',
          yAxisIndex: 0,
          data: points.map((p) => Math.round(p.inertia * 100) / 100),
          symbol: 'circle',
          symbolSize: 7,
          lineStyle: { width: 2.5, color: PALETTE[0] },
          itemStyle: { color: PALETTE[0] },
        },
        {
          type: 'line',
          name: 'silhouette',
          yAxisIndex: 1,
          data: points.map((p) => (p.silhouette === null ? null : Math.round(p.silhouette * 10000) / 10000)),
          symbol: 'diamond',
          symbolSize: 9,
          lineStyle: { width: 2.5, color: PALETTE[5], type: 'dashed' },
          itemStyle: { color: PALETTE[5] },
          markLine: {
            symbol: 'none',
            silent: true,
            lineStyle: { color: MUTED, type: 'dotted' },
            label: { formatter: `chosen k = ${chosen}`, color: TEXT },
            data: [{ xAxis: String(chosen) }],
          },
        },
      ],
    } as Option,
    640,
    340,
  );
}

export interface ScatterPoint {
  cluster: number;
  recency: number;
  monetary: number;
}

/** Log axes need positive values: 0 days or 0 spent are drawn at 1. */
const pos = (v: number) => Math.max(1, v);

/** Customers' recency against monetary value (both log scale), one colour per segment. */
export function customerScatterChart(points: ScatterPoint[], segments: ArtifactSegment[]): string {
  const segs = [...segments].sort((a, b) => a.cluster - b.cluster);
  const range = (v: number[]) => ({
    min: 10 ** Math.floor(Math.log10(Math.min(...v))),
    max: 10 ** Math.ceil(Math.log10(Math.max(...v))),
  });
  const rx = range(points.map((p) => pos(p.recency)));
  const ry = range(points.map((p) => pos(p.monetary)));
  return render(
    {
      legend: { bottom: 0, left: 'center', itemGap: 14, textStyle: { color: TEXT, fontSize: 12 } },
      grid: { left: 50, right: 30, top: 20, bottom: 56 + legendRows(segs.length, 4) * 20, containLabel: true },
      xAxis: {
        type: 'log',
        min: rx.min,
        max: rx.max,
        name: 'recency: days since last purchase (log scale)',
        nameLocation: 'middle',
        nameGap: 28,
        nameTextStyle: nameStyle,
        axisLabel: { ...axisLabel, formatter: fmtNum },
        splitLine: GRID_LINE,
      },
      yAxis: {
        type: 'log',
        min: ry.min,
        max: ry.max,
        name: 'monetary: total spent (log scale)',
        nameLocation: 'middle',
        nameGap: 42,
        nameTextStyle: nameStyle,
        axisLabel: { ...axisLabel, formatter: fmtNum },
        splitLine: GRID_LINE,
      },
      series: segs.map((s) => ({
        type: 'scatter' as const,
        name: s.name,
        symbolSize: 4,
        // one SVG path per series instead of one element per customer: far smaller and faster
        large: true,
        largeThreshold: 0,
        itemStyle: { color: colorOf(s.cluster), opacity: 0.55 },
        data: points
          .filter((p) => p.cluster === s.cluster)
          .map((p) => [pos(p.recency), Math.round(pos(p.monetary) * 100) / 100]),
      })),
    } as Option,
    720,
    440 + legendRows(segs.length, 4) * 20,
  );
}

/** Horizontal bars: customers per segment, largest on top. */
export function sizesChart(segments: ArtifactSegment[]): string {
  const segs = [...segments].sort((a, b) => a.size - b.size);
  const total = segs.reduce((s, x) => s + x.size, 0) || 1;
  return render(
    {
      grid: { left: 24, right: 120, top: 16, bottom: 36, containLabel: true },
      xAxis: {
        type: 'value',
        name: 'customers',
        nameLocation: 'middle',
        nameGap: 26,
        nameTextStyle: nameStyle,
        axisLabel: { ...axisLabel, formatter: fmtNum },
        splitLine: GRID_LINE,
      },
      yAxis: {
        type: 'category',
        data: segs.map((s) => s.name),
        axisLabel: { ...axisLabel, color: TEXT, fontSize: 13 },
        axisTick: { show: false },
      },
      series: [
        {
          type: 'bar',
          barMaxWidth: 22,
          data: segs.map((s) => ({ value: s.size, itemStyle: { color: colorOf(s.cluster) } })),
          label: {
            show: true,
            position: 'right',
            color: TEXT,
            fontSize: 12,
            formatter: (p: { value: unknown }) =>
              `${Number(p.value).toLocaleString('en-US')} (${((Number(p.value) / total) * 100).toFixed(1)}%)`,
          },
        },
      ],
    },
    640,
    70 + segs.length * 34,
  );
}

/** Snake plot: each segment's mean standardized R, F, M (log1p, then z-score; 0 = the average customer). */
export function snakeChart(segments: ArtifactSegment[], zMeans: number[][]): string {
  const segs = [...segments].sort((a, b) => a.cluster - b.cluster);
  return render(
    {
      legend: { bottom: 0, left: 'center', itemGap: 14, textStyle: { color: TEXT, fontSize: 12 } },
      grid: { left: 40, right: 24, top: 20, bottom: 30 + legendRows(segs.length, 4) * 22, containLabel: true },
      xAxis: {
        type: 'category',
        data: ['Recency', 'Frequency', 'Monetary'],
        boundaryGap: true,
        axisLabel: { ...axisLabel, color: TEXT, fontSize: 13, interval: 0 },
      },
      yAxis: {
        type: 'value',
        name: 'mean z-score (0 = average customer)',
        nameLocation: 'middle',
        nameGap: 34,
        nameTextStyle: nameStyle,
        axisLabel,
        splitLine: GRID_LINE,
      },
      series: segs.map((s) => ({
        type: 'line' as const,
        name: s.name,
        data: (zMeans[s.cluster] ?? [0, 0, 0]).map((v) => Math.round(v * 100) / 100),
        symbol: 'circle',
        symbolSize: 7,
        lineStyle: { width: 2.5, color: colorOf(s.cluster) },
        itemStyle: { color: colorOf(s.cluster) },
      })),
    },
    640,
    320 + legendRows(segs.length, 4) * 22,
  );
}

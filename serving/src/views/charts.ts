import * as echarts from 'echarts/core';
import { BarChart, LineChart, ScatterChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, MarkLineComponent } from 'echarts/components';
import { LabelLayout, LegacyGridContainLabel } from 'echarts/features';
import { SVGRenderer } from 'echarts/renderers';
import type { ArtifactV1 } from '@rfm/shared';

/**
 * Charts as SVG, rendered on the server by Apache ECharts (server-side rendering: no DOM, no
 * canvas, no browser script). They are served as `image/svg+xml` and shown with <img>, so they
 * read the same with JavaScript off, and each comes with a text alternative on the page.
 */
echarts.use([
  BarChart,
  LineChart,
  ScatterChart,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  AriaComponent,
  LabelLayout,
  LegacyGridContainLabel,
  SVGRenderer,
]);

/** Okabe–Ito colours (distinguishable with the common colour-vision deficiencies), then darker tones. */
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
// No quotes: ECharts writes the family into a style attribute without escaping them.
const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif';

export const CHART_NAMES = ['sizes', 'snake', 'map'] as const;

/** Drawn at the size they are shown (two side by side on a wide page), so 12 px text stays 12 px. */
export const CHART_WIDTH = 480;
export const MAP_HEIGHT = 360;
const legendRows = (n: number) => Math.ceil(n / 2);
export const sizesHeight = (n: number) => 70 + n * 34;
export const snakeHeight = (n: number) => 320 + legendRows(n) * 22;
export type ChartName = (typeof CHART_NAMES)[number];

type Option = Parameters<echarts.ECharts['setOption']>[0];

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

const bySegment = (a: ArtifactV1) => [...a.segments].sort((x, y) => x.cluster - y.cluster);
const axisLabel = { color: MUTED, fontSize: 12 };
const nameStyle = { color: MUTED, fontSize: 12 };

/** Horizontal bars: how many training customers each segment holds, largest first. */
export function segmentSizesChart(a: ArtifactV1): string {
  const segs = bySegment(a).sort((x, y) => x.size - y.size); // bars are drawn bottom-up: largest on top
  const total = segs.reduce((s, x) => s + x.size, 0) || 1;
  const height = sizesHeight(segs.length);
  return render(
    {
      grid: { left: 24, right: 110, top: 16, bottom: 36, containLabel: true },
      xAxis: {
        type: 'value',
        name: 'customers',
        nameLocation: 'middle',
        nameGap: 26,
        nameTextStyle: nameStyle,
        axisLabel,
        splitLine: { lineStyle: { color: '#e3e7ec' } },
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
              `${Number(p.value).toLocaleString('en-US')} (${Math.round((Number(p.value) / total) * 100)}%)`,
          },
        },
      ],
    },
    CHART_WIDTH,
    height,
  );
}

/**
 * Snake plot: each segment's centroid in the standardized space the model clusters in (log1p, then
 * z-score), one line per segment across Recency, Frequency and Monetary. 0 is the average customer.
 */
export function snakePlotChart(a: ArtifactV1): string {
  const segs = bySegment(a);
  return render(
    {
      legend: {
        bottom: 0,
        left: 'center',
        itemGap: 18,
        textStyle: { color: TEXT, fontSize: 12 },
        itemWidth: 18,
        itemHeight: 10,
      },
      grid: { left: 40, right: 24, top: 20, bottom: 30 + legendRows(segs.length) * 22, containLabel: true },
      xAxis: {
        type: 'category',
        data: ['Recency', 'Frequency', 'Monetary'],
        boundaryGap: true,
        axisLabel: { ...axisLabel, color: TEXT, fontSize: 13, interval: 0 },
      },
      yAxis: {
        type: 'value',
        name: 'z-score (0 = average customer)',
        nameLocation: 'middle',
        nameGap: 34,
        nameTextStyle: nameStyle,
        axisLabel,
        splitLine: { lineStyle: { color: '#e3e7ec' } },
      },
      series: segs.map((s) => ({
        type: 'line' as const,
        name: s.name,
        data: (a.centroids[s.cluster] ?? [0, 0, 0]).map((v) => Math.round(v * 100) / 100),
        symbol: 'circle',
        symbolSize: 7,
        lineStyle: { width: 2.5, color: colorOf(s.cluster) },
        itemStyle: { color: colorOf(s.cluster) },
      })),
    },
    CHART_WIDTH,
    snakeHeight(segs.length),
  );
}

export interface CustomerPoint {
  recency: number;
  monetary: number;
}

/** Log axes need positive values: 0 days or 0 spent are drawn at 1. */
const pos = (v: number) => Math.max(1, v);

/**
 * Recency against monetary value of each segment's typical customer (its centroid in original
 * units), bubbles sized by segment size, both axes logarithmic; optionally one customer marked.
 */
export function segmentMapChart(
  a: ArtifactV1,
  customer?: CustomerPoint,
  opts: { width?: number; height?: number } = {},
): string {
  const segs = bySegment(a);
  const maxSize = Math.max(1, ...segs.map((s) => s.size));
  const width = opts.width ?? CHART_WIDTH;
  const height = opts.height ?? MAP_HEIGHT;
  const points = segs.map((s) => ({
    name: s.name,
    value: [pos(s.centroid.recency), pos(s.centroid.monetary)],
    symbolSize: 14 + 34 * Math.sqrt(s.size / maxSize),
    itemStyle: { color: colorOf(s.cluster), opacity: 0.85, borderColor: '#ffffff', borderWidth: 1 },
    label: { show: true, formatter: s.name, position: 'right' as const, color: TEXT, fontSize: 12 },
  }));
  const series: Record<string, unknown>[] = [
    { type: 'scatter', name: 'Segments', data: points, z: 2, labelLayout: { moveOverlap: 'shiftY' } },
  ];
  if (customer) {
    series.push({
      type: 'scatter',
      name: 'This customer',
      z: 3,
      symbol: 'diamond',
      symbolSize: 20,
      labelLayout: { moveOverlap: 'shiftY' },
      data: [{ value: [pos(customer.recency), pos(customer.monetary)], name: 'This customer' }],
      itemStyle: { color: '#111111', borderColor: '#ffffff', borderWidth: 2 },
      label: {
        show: true,
        formatter: 'This customer',
        position: 'left',
        color: TEXT,
        fontWeight: 'bold',
        fontSize: 13,
        backgroundColor: '#fff8e6',
        padding: [2, 4],
        borderRadius: 3,
      },
    });
  }
  const xs = [...points.map((p) => p.value[0]!), ...(customer ? [pos(customer.recency)] : [])];
  const ys = [...points.map((p) => p.value[1]!), ...(customer ? [pos(customer.monetary)] : [])];
  // Whole powers of ten around the points (with room for bubbles and labels): clean log ticks.
  const range = (v: number[]) => ({
    min: 10 ** Math.floor(Math.log10(Math.min(...v) / 2)),
    max: 10 ** Math.ceil(Math.log10(Math.max(...v) * 2)),
  });
  const rx = range(xs);
  const ry = range(ys);
  const fmtAxis = (v: number) =>
    v >= 1e6 ? `${+(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : `${+v.toFixed(1)}`;
  return render(
    {
      grid: { left: 40, right: 30, top: 20, bottom: 44, containLabel: true },
      xAxis: {
        type: 'log',
        name: 'recency: days since last purchase (log scale; recent on the left)',
        nameLocation: 'middle',
        nameGap: 28,
        nameTextStyle: nameStyle,
        min: rx.min,
        max: rx.max,
        axisLabel: { ...axisLabel, formatter: fmtAxis },
        splitLine: { lineStyle: { color: '#e3e7ec' } },
      },
      yAxis: {
        type: 'log',
        name: 'monetary: total spent (log scale)',
        nameLocation: 'middle',
        nameGap: 40,
        nameTextStyle: nameStyle,
        min: ry.min,
        max: ry.max,
        axisLabel: { ...axisLabel, formatter: fmtAxis },
        splitLine: { lineStyle: { color: '#e3e7ec' } },
      },
      series,
    } as Option,
    width,
    height,
  );
}

export function chartFor(name: ChartName, a: ArtifactV1): string {
  switch (name) {
    case 'sizes':
      return segmentSizesChart(a);
    case 'snake':
      return snakePlotChart(a);
    case 'map':
      return segmentMapChart(a);
  }
}

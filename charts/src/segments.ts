import type { ArtifactSegment, ArtifactV1 } from '@rfm/shared';
import {
  axisLabel,
  colorOf,
  fmtNum,
  GRID_LINE,
  legendRows,
  logAxis,
  logRange,
  nameStyle,
  type Option,
  pos,
  render,
  TEXT,
} from './render.js';

/**
 * The charts of one model version, drawn from its artifact alone (so the training report and the
 * version's web page draw the same thing): segment sizes, the snake plot and the segment map.
 */

/** Web pages draw two side by side: drawn at the size they are shown, 12 px text stays 12 px. */
export const CHART_WIDTH = 480;
/** The training report's width. */
export const REPORT_WIDTH = 640;
export const MAP_HEIGHT = 360;
export const sizesHeight = (n: number): number => 70 + n * 34;
export const snakeHeight = (n: number, width = CHART_WIDTH): number => 320 + legendRows(n, width) * 22;

const byCluster = (segments: readonly ArtifactSegment[]) => [...segments].sort((x, y) => x.cluster - y.cluster);

/** Horizontal bars: how many training customers each segment holds, largest on top. */
export function segmentSizesChart(segments: readonly ArtifactSegment[], width = CHART_WIDTH): string {
  const segs = byCluster(segments).sort((x, y) => x.size - y.size); // bars are drawn bottom-up
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
            // one decimal: a segment of 0.4% is not "0%"
            formatter: (p: { value: unknown }) =>
              `${Number(p.value).toLocaleString('en-US')} (${((Number(p.value) / total) * 100).toFixed(1)}%)`,
          },
        },
      ],
    },
    width,
    sizesHeight(segs.length),
  );
}

/**
 * Snake plot: each segment's centroid in the standardized space the model clusters in (log1p, then
 * z-score), one line per segment across Recency, Frequency and Monetary; 0 is the average customer.
 * The centroid is what a customer is assigned by, and k-means leaves each centroid at the mean
 * z-score of its customers, so this is also the segment's mean customer.
 */
export function snakeChart(a: Pick<ArtifactV1, 'segments' | 'centroids'>, width = CHART_WIDTH): string {
  const segs = byCluster(a.segments);
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
      grid: { left: 40, right: 24, top: 20, bottom: 30 + legendRows(segs.length, width) * 22, containLabel: true },
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
        splitLine: GRID_LINE,
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
    width,
    snakeHeight(segs.length, width),
  );
}

export interface CustomerPoint {
  recency: number;
  monetary: number;
}

/**
 * Recency against monetary value of each segment's typical customer (its centroid in original
 * units), bubbles sized by segment size, both axes logarithmic; optionally one customer marked.
 */
export function segmentMapChart(
  a: Pick<ArtifactV1, 'segments'>,
  customer?: CustomerPoint,
  opts: { width?: number; height?: number } = {},
): string {
  const segs = byCluster(a.segments);
  const maxSize = segs.reduce((m, s) => Math.max(m, s.size), 1);
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
  const marked = customer ? [customer] : [];
  // room for bubbles and labels around the points
  const rx = logRange([...points.map((p) => p.value[0]!), ...marked.map((c) => pos(c.recency))], 2);
  const ry = logRange([...points.map((p) => p.value[1]!), ...marked.map((c) => pos(c.monetary))], 2);
  return render(
    {
      grid: { left: 40, right: 30, top: 20, bottom: 44, containLabel: true },
      xAxis: logAxis('recency: days since last purchase (log scale; recent on the left)', 28, rx),
      yAxis: logAxis('monetary: total spent (log scale)', 40, ry),
      series,
    } as Option,
    opts.width ?? CHART_WIDTH,
    opts.height ?? MAP_HEIGHT,
  );
}

/** The charts a version's web page shows, by the name in their URL. */
export const CHART_NAMES = ['sizes', 'snake', 'map'] as const;
export type ChartName = (typeof CHART_NAMES)[number];

export function chartFor(name: ChartName, a: ArtifactV1): string {
  switch (name) {
    case 'sizes':
      return segmentSizesChart(a.segments);
    case 'snake':
      return snakeChart(a);
    case 'map':
      return segmentMapChart(a);
  }
}

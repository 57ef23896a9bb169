import type { ArtifactSegment, SweepPoint } from '@rfm/shared';
import {
  axisLabel,
  colorOf,
  fmtNum,
  GRID_LINE,
  legendRows,
  logAxis,
  logRange,
  MUTED,
  nameStyle,
  type Option,
  PALETTE,
  pos,
  render,
  TEXT,
} from './render.js';

/** Charts of a training run (the data behind a version, not the version alone): the k sweep and the customers. */

const SCATTER_WIDTH = 720;

/** Elbow curve (inertia, left axis) and mean silhouette (right axis) for each k; the chosen k marked. */
export function sweepChart(points: readonly SweepPoint[], chosen: number): string {
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

/** Customers' recency against monetary value (both log scale), one colour per segment. */
export function customerScatterChart(points: readonly ScatterPoint[], segments: readonly ArtifactSegment[]): string {
  const segs = [...segments].sort((a, b) => a.cluster - b.cluster);
  const rx = logRange(points.map((p) => pos(p.recency)));
  const ry = logRange(points.map((p) => pos(p.monetary)));
  return render(
    {
      legend: { bottom: 0, left: 'center', itemGap: 14, textStyle: { color: TEXT, fontSize: 12 } },
      grid: {
        left: 50,
        right: 30,
        top: 20,
        bottom: 56 + legendRows(segs.length, SCATTER_WIDTH) * 20,
        containLabel: true,
      },
      xAxis: logAxis('recency: days since last purchase (log scale)', 28, rx),
      yAxis: logAxis('monetary: total spent (log scale)', 42, ry),
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
    SCATTER_WIDTH,
    440 + legendRows(segs.length, SCATTER_WIDTH) * 20,
  );
}

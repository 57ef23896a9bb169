import { formatShare as pct } from '@rfm/shared/stats';
import { axisLabel, GRID_LINE, nameStyle, render, TEXT } from './render.js';

/**
 * The chart of a scoring run's page: for each segment, its share of the run's customers beside its
 * share of revenue (the picture a marketer expects: "Champions: 9% of customers, 48% of revenue").
 * Two bars per segment, the same two colours for every segment, so the pair reads as a comparison.
 */
export interface ShareRow {
  segment: string;
  customerShare: number;
  revenueShare: number;
}

export const SHARE_CUSTOMERS_COLOUR = '#0072b2';
export const SHARE_REVENUE_COLOUR = '#d55e00';
export const sharesHeight = (n: number): number => 90 + n * 52;

export function segmentSharesChart(rows: readonly ShareRow[], width = 480): string {
  const segs = [...rows].reverse(); // category axes draw bottom-up; the table's first row goes on top
  const bar = (name: string, color: string, pick: (r: ShareRow) => number) => ({
    name,
    type: 'bar' as const,
    barMaxWidth: 18,
    itemStyle: { color },
    // unrounded: the label is formatted from the share itself, exactly as the table beside it
    data: segs.map((r) => pick(r) * 100),
    label: {
      show: true,
      position: 'right' as const,
      color: TEXT,
      fontSize: 12,
      formatter: (p: { dataIndex: number }) => pct(pick(segs[p.dataIndex]!)),
    },
  });
  return render(
    {
      legend: {
        top: 0,
        left: 'center',
        itemGap: 36,
        textStyle: { color: TEXT, fontSize: 12 },
        itemWidth: 18,
        itemHeight: 10,
      },
      grid: { left: 16, right: 56, top: 32, bottom: 36, containLabel: true },
      xAxis: {
        type: 'value',
        name: 'share (%)',
        nameLocation: 'middle',
        nameGap: 26,
        nameTextStyle: nameStyle,
        // a round top (20, 40 … 100) so the last tick is not an odd 90% after 80%
        max: (v: { max: number }) => Math.min(100, Math.ceil(v.max / 20) * 20),
        axisLabel: { ...axisLabel, formatter: (v: number) => `${v}%` },
        splitLine: GRID_LINE,
      },
      yAxis: {
        type: 'category',
        data: segs.map((r) => r.segment),
        axisLabel: { ...axisLabel, color: TEXT, fontSize: 13 },
        axisTick: { show: false },
      },
      series: [
        bar('share of customers', SHARE_CUSTOMERS_COLOUR, (r) => r.customerShare),
        bar('share of revenue', SHARE_REVENUE_COLOUR, (r) => r.revenueShare),
      ],
    },
    width,
    sharesHeight(rows.length),
  );
}

/** The chart's text alternative in one sentence (the table beside it has every number). */
export function sharesAlt(rows: readonly ShareRow[]): string {
  return `Bar chart, share of customers beside share of revenue per segment: ${rows
    .map((r) => `${r.segment} ${pct(r.customerShare)} of customers, ${pct(r.revenueShare)} of revenue`)
    .join('; ')}.`;
}

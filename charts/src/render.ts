import { createRequire } from 'node:module';
import { extent } from '@rfm/shared';

/**
 * How every rfm chart is drawn: SVG rendered server-side by Apache ECharts (SSR: no DOM, no
 * canvas, no script in the output), with one palette, one type face and one number format, so the
 * training report and the web pages look alike.
 *
 * ECharts' prebuilt bundle through require(), loaded on the first chart drawn: the modular ESM
 * build is hundreds of files (about 1 s to import on a loaded 2-core machine, the bundle 0.2 s), and
 * a server or a training run that draws no chart never loads either.
 */
type ECharts = typeof import('echarts');
let lib: ECharts | null = null;
const echarts = (): ECharts => {
  lib ??= createRequire(import.meta.url)('echarts/dist/echarts.min.js') as ECharts;
  return lib;
};

/** Load the chart library now rather than at the first chart (e.g. while other work waits on I/O). */
export function loadChartLibrary(): void {
  echarts();
}

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
/** The colour of a cluster, the same in every chart and on every page. */
export const colorOf = (cluster: number): string => PALETTE[cluster % PALETTE.length]!;

export const TEXT = '#1c2430';
export const MUTED = '#5b6675';
export const GRID_LINE = { lineStyle: { color: '#e3e7ec' } };
// No quotes: ECharts writes the family into a style attribute without escaping them.
const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif';
export const axisLabel = { color: MUTED, fontSize: 12 };
export const nameStyle = { color: MUTED, fontSize: 12 };

export type Option = Parameters<import('echarts').ECharts['setOption']>[0];

export function render(option: Option, width: number, height: number): string {
  const chart = echarts().init(null, null, { renderer: 'svg', ssr: true, width, height });
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

/** Axis numbers: 1.2k, 3.4M. */
export const fmtNum = (v: number): string =>
  v >= 1e6 ? `${+(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : `${+v.toFixed(1)}`;

/** Rows the legend takes: four entries a row on a wide chart, two on a narrow one (web pages). */
export const legendRows = (n: number, width: number): number => Math.ceil(n / (width >= 640 ? 4 : 2));

/** Log axes need positive values: 0 days or 0 spent are drawn at 1. */
export const pos = (v: number): number => Math.max(1, v);

/** Whole powers of ten around the values (`pad`: room for bubbles and labels), for clean log ticks. */
export function logRange(values: Iterable<number>, pad = 1): { min: number; max: number } {
  const { min, max } = extent(values); // never Math.min(...values): a long list overflows the stack
  if (min === Infinity) return { min: 1, max: 10 };
  return { min: 10 ** Math.floor(Math.log10(min / pad)), max: 10 ** Math.ceil(Math.log10(max * pad)) };
}

/** A named logarithmic axis (recency, money spent) over `range`, ticks as 1.2k / 3.4M. */
export function logAxis(name: string, nameGap: number, range: { min: number; max: number }) {
  return {
    type: 'log' as const,
    name,
    nameLocation: 'middle' as const,
    nameGap,
    nameTextStyle: nameStyle,
    min: range.min,
    max: range.max,
    axisLabel: { ...axisLabel, formatter: fmtNum },
    splitLine: GRID_LINE,
  };
}

import type { ArtifactSegment } from '@rfm/shared';
import { trainingRevenue } from '@rfm/shared/revenue';
import { extent } from '@rfm/shared/stats';
/** How commands talk to people and machines: one JSON object with --json, readable text otherwise. */
export interface OutputOptions {
  json?: boolean;
}

export function emit(opts: OutputOptions, value: unknown, human: () => string): void {
  process.stdout.write(opts.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

/** Plain fixed-width table for terminals. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))))];
  const widths = headers.map((_, i) => extent(cells.map((r) => (r[i] ?? '').length)).max);
  return cells
    .map((r) =>
      r
        .map((c, i) => (c ?? '').padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** stderr progress lines only for a person at a terminal, never in --json or CI logs. */
export function progress(opts: OutputOptions): (msg: string) => void {
  const on = !opts.json && process.stderr.isTTY === true;
  return on ? (msg) => process.stderr.write(`${msg}\n`) : () => {};
}

const int = (n: number) => n.toLocaleString('en-US');
const fix = (n: number, d: number) => n.toFixed(d);

/** The segments of a version as `rfm train` and `rfm models show` print them. */
export function segmentTable(segments: readonly ArtifactSegment[]): string {
  // medians (artifact v2) describe a skewed segment's typical customer better than means
  const median = segments.every((s) => s.median);
  // share of the training customers' revenue (size × mean monetary: exact, from the artifact alone)
  const revenue = trainingRevenue(segments);
  return table(
    [
      'cluster',
      'segment',
      'customers',
      `${median ? 'median ' : ''}recency (d)`,
      'frequency',
      'monetary',
      'R',
      'F',
      'M',
      'revenue share',
    ],
    segments.map((s) => [
      s.cluster,
      s.name,
      int(s.size),
      fix((s.median ?? s.mean).recency, 1),
      fix((s.median ?? s.mean).frequency, 1),
      fix((s.median ?? s.mean).monetary, 2),
      s.scores.r,
      s.scores.f,
      s.scores.m,
      `${((revenue.get(s.cluster)?.share ?? 0) * 100).toFixed(1)}%`,
    ]),
  );
}

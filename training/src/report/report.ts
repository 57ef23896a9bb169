import type { ArtifactV1, RfmValues } from '@rfm/shared';
import { mulberry32, sampleIndices } from '../kmeans/prng.js';
import type { RfmTable } from '@rfm/ingest';
import {
  colorOf,
  customerScatterChart,
  loadChartLibrary,
  REPORT_WIDTH,
  type ScatterPoint,
  segmentSizesChart,
  snakeChart,
  sweepChart,
} from '@rfm/charts';

// train() imports this module while DuckDB reads the export: the chart library loads meanwhile
loadChartLibrary();

/** Customers drawn in the recency/monetary scatter at most; more are sampled (seeded) and the report says so. */
export const SCATTER_MAX = 2500;

export interface ReportInput {
  artifact: ArtifactV1;
  table: RfmTable;
  labels: Int32Array;
  seed: number;
  modelName: string;
  dateFormat?: string;
}

const DROP_MEANING: Record<string, string> = {
  missing_customer: 'no customer id',
  cancelled: 'cancellation (invoice starts with C, or a cancelled or refunded order of a shop-platform export)',
  missing_invoice: 'no invoice number',
  unparsable_date: 'invoice date not readable',
  unparsable_quantity: 'quantity not a number',
  quantity_not_positive: 'quantity ≤ 0 (a return or correction)',
  unparsable_price: 'unit price not a number',
  price_not_positive: 'unit price ≤ 0',
  unparsable_amount: 'amount not a number',
  amount_not_positive: 'amount ≤ 0',
};

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const int = (n: number) => n.toLocaleString('en-US');
const fix = (n: number | null | undefined, d: number) =>
  n === null || n === undefined || !Number.isFinite(n)
    ? 'n/a'
    : n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const pct = (a: number, b: number) => (b > 0 ? `${((a / b) * 100).toFixed(1)}%` : '—');
const rfm = (v: RfmValues | undefined) =>
  v ? `${fix(v.recency, 0)} d · ${fix(v.frequency, 1)} · ${fix(v.monetary, 2)}` : 'n/a';

const CSS = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1c2430;background:#f6f7f9;margin:0}
main{max-width:1000px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.25em;margin:32px 0 8px;border-bottom:1px solid #d9dee5;padding-bottom:4px}
.sub{color:#5b6675;margin:0 0 16px}
table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0;font-size:14px}
th,td{border:1px solid #d9dee5;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
figure{background:#fff;border:1px solid #d9dee5;margin:12px 0;padding:8px;overflow-x:auto}
figure svg{max-width:100%;height:auto;display:block;margin:0 auto}
figcaption{color:#5b6675;font-size:13px;margin-top:6px}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:baseline}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}dt{color:#5b6675}dd{margin:0}
code{font-size:13px;word-break:break-all}.note{background:#fff8e6;border:1px solid #f0dca8;padding:8px 10px}
`;

/** Why each segment has its name (artifact v2): the facts, and any name refused on the way. */
function namingSection(a: ArtifactV1): string {
  if (!a.naming) return '';
  const segs = [...a.segments].sort((x, y) => x.cluster - y.cluster);
  return (
    `<h3>Why these names</h3>
<p>Names are judged against this shop's own rhythm, not only against other customers: ` +
    `the usual gap between purchases is <strong>${fix(a.naming.usual_gap_days, 1)} days</strong> ` +
    `(${esc(a.naming.gap_basis)}). "Recent", "new" and "active" names ` +
    `need the segment's median last purchase within ${a.naming.recent_within_gaps}×` +
    ` that gap; lapsed names (At Risk, Can't Lose Them, Hibernating, Lost) ` +
    `need it beyond, and never go to the segment that bought most recently; ` +
    `"Lost" needs ${a.naming.lost_beyond_gaps}×. ` +
    `Each name's description is checked against the segment's medians; ` +
    `a name that does not hold is refused and the next fitting one given, or a plain description.</p>
<ul>
${segs
  .map((s) =>
    s.naming
      ? `<li><strong>${esc(s.name)}</strong> (cluster ${s.cluster}) — ` +
        `called ${esc(s.naming.base_name)} because: ${esc(s.naming.because.join('; '))}` +
        `${s.naming.qualifier ? `; “${esc(s.naming.qualifier)}” tells it apart from the other ${esc(s.naming.base_name)}` : ''}.</li>`
      : '',
  )
  .join('\n')}
</ul>`
  );
}

/**
 * The training report: one self-contained HTML page (inline CSS and SVG, no script, no external
 * asset) with the data summary and dropped rows, the k sweep, metrics, the segment profiles and
 * charts. Stored with the version and served at /models/<name>/<v>/report.
 */
export function renderReport(r: ReportInput): string {
  const a = r.artifact;
  const d = a.data;
  const m = a.metrics;
  const n = r.table.cids.length;
  const segs = [...a.segments].sort((x, y) => y.size - x.size);

  // scatter: every customer, or a seeded sample
  const idx =
    n > SCATTER_MAX
      ? sampleIndices(n, SCATTER_MAX, mulberry32((r.seed ^ 0x51ed270b) >>> 0)).sort()
      : Int32Array.from({ length: n }, (_, i) => i);
  const points: ScatterPoint[] = Array.from(idx, (i) => ({
    cluster: r.labels[i]!,
    recency: r.table.raw[i * 3]!,
    monetary: r.table.raw[i * 3 + 2]!,
  }));

  const dropped = Object.entries(d.rows_dropped);
  const totalDropped = dropped.reduce((s, [, v]) => s + v, 0);
  const isFeatures = d.source.format === 'features';
  const p = a.params;

  const parts: string[] = [];
  parts.push(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Training report: ${esc(r.modelName)} (k = ${a.k})</title><style>${CSS}</style></head><body><main>
<h1>Training report: ${esc(r.modelName)}</h1>
<p class="sub">k-means with k = ${a.k}${a.k_selection ? ` (chosen automatically from ${a.k_selection.k_min}…${a.k_selection.k_max})` : ''}` +
      ` on ${int(n)} customers` +
      ` · trained ${esc(a.training.trained_at)} on the ${esc(a.training.backend)} backend · rfm ${esc(a.training.code_version)}</p>`,
  );

  // ---- data
  parts.push(`<h2>Data</h2><dl>
<dt>source</dt><dd><code>${esc(d.source.file)}</code> (${esc(d.source.format)}, ${int(d.source.bytes)} bytes)</dd>
<dt>sha256</dt><dd><code>${esc(d.source.sha256)}</code></dd>
${isFeatures ? '' : `<dt>rows read</dt><dd>${int(d.rows_read)}</dd><dt>rows kept</dt><dd>${int(d.rows_kept)} (${pct(d.rows_kept, d.rows_read)})</dd>`}
<dt>customers</dt><dd>${int(d.customers)}</dd>
${d.first_invoice ? `<dt>invoices from</dt><dd>${esc(d.first_invoice)} to ${esc(d.last_invoice)}</dd>` : ''}
<dt>snapshot date</dt><dd>${esc(d.snapshot_date)} (recency is counted in whole days up to it)</dd>
${r.dateFormat ? `<dt>date format</dt><dd><code>${esc(r.dateFormat)}</code></dd>` : ''}
${d.frequency_note ? `<dt>frequency</dt><dd>${esc(d.frequency_note)}</dd>` : ''}
${
  d.reader
    ? `<dt>read as</dt><dd>${esc(d.reader.encoding)}; ${esc(d.reader.layout)}${d.reader.dialect ? `; ${esc(d.reader.dialect)}` : ''}` +
      `${d.reader.notes.map((x) => `<br>${esc(x)}`).join('')}</dd>`
    : ''
}
</dl>`);
  if (!isFeatures) {
    parts.push(
      `<table><caption style="text-align:left;padding:4px 0">` +
        `Rows dropped, by the first rule each row failed ` +
        `(${int(totalDropped)} in all, ${pct(totalDropped, d.rows_read)} of the rows read)</caption>
<thead><tr><th>reason</th><th>meaning</th><th>rows</th><th>share of rows read</th><th>first rejected rows (line: value)</th></tr></thead><tbody>
${dropped
  .map(
    ([k, v]) =>
      `<tr><td><code>${esc(k)}</code></td>` +
      `<td>${esc(DROP_MEANING[k] ?? '')}</td>` +
      `<td class="n">${int(v)}</td><td class="n">${pct(v, d.rows_read)}</td>` +
      `<td>${(d.rejected_samples?.[k] ?? []).map((x) => `${x.line}: <code>${esc(JSON.stringify(x.value))}</code>`).join(', ')}</td></tr>`,
  )
  .join('\n')}
</tbody></table>`,
    );
  } else
    parts.push(
      `<p>Trained on a ready RFM table (<code>--features</code>): no transaction rows were read here, so there are no drop counts.</p>`,
    );

  // ---- choosing k
  if (a.sweep && a.k_selection) {
    const ks = a.k_selection;
    const silNote =
      ks.sample < n
        ? `Silhouettes were computed on a seeded random sample of ${int(ks.sample)}` +
          ` of the ${int(n)} customers (the same sample for every k; exact up to 10,000 customers).`
        : 'Silhouettes were computed exactly over all customers.';
    const why =
      ks.method === 'silhouette'
        ? `<p>k = ${a.k} has the highest mean silhouette.</p>`
        : `<p><strong>Why k = ${a.k}:</strong> ${esc(ks.reason ?? '')}.</p>
${ks.runner_up ? `<p><strong>The runner-up, k = ${ks.runner_up.k}:</strong> ${esc(ks.runner_up.reason)}.</p>` : ''}
<p class="sub">The rule: among the k whose smallest segment holds at least ${fix((ks.min_share ?? 0) * 100, 0)} % of the customers, ` +
          `take the one nearest the knee of the inertia curve (Kneedle, from k = 1), ` +
          `unless another separates the segments clearly better (a silhouette more than 0.05 higher).</p>`;
    parts.push(
      `<h2>Choosing k</h2>
<p>k = ${ks.k_min}…${ks.k_max} were each fitted the same way (${p.n_init} restarts, seed ${p.seed}). ${silNote}</p>
${why}
<figure>${sweepChart(a.sweep, a.k)}` +
        `<figcaption>Inertia (left axis) and mean silhouette (right axis) for each k; the dotted line marks the chosen k. ` +
        `The same figures are in the table below.</figcaption></figure>
<table><thead><tr><th>k</th><th>inertia</th><th>silhouette</th>` +
        `<th>smallest segment</th><th>Davies–Bouldin</th><th>Calinski–Harabasz</th></tr></thead><tbody>
${a.sweep
  .map(
    (s) =>
      `<tr${s.k === a.k ? ' style="font-weight:600;background:#fff8e6"' : ''}>` +
      `<td class="n">${s.k}${s.k === a.k ? ' (chosen)' : s.k === ks.runner_up?.k ? ' (runner-up)' : ''}` +
      `${s.k === ks.knee ? ' knee' : ''}</td>` +
      `<td class="n">${fix(s.inertia, 2)}</td><td class="n">${fix(s.silhouette, 4)}</td>` +
      `<td class="n">${s.smallest_share === undefined ? 'n/a' : `${fix(s.smallest_share * 100, 1)} %`}</td>` +
      `<td class="n">${fix(s.davies_bouldin, 3)}</td><td class="n">${fix(s.calinski_harabasz, 1)}</td></tr>`,
  )
  .join('\n')}
</tbody></table>`,
    );
  }

  // ---- model quality
  const algo =
    p.algorithm === 'lloyd-sampled-restarts'
      ? `The ${p.n_init} k-means++ restarts ran on a seeded sample of ${int(p.restart_sample ?? 0)} customers; the best restart's centres then started
      one full Lloyd run over all ${int(n)} customers (full restarts on this many customers would be too slow; mini-batch k-means was not used because
      its inertia ends above Lloyd's).`
      : `${p.n_init} k-means++ restarts, each a full Lloyd run; the lowest inertia was kept (scikit-learn's KMeans semantics).`;
  parts.push(`<h2>Model quality</h2>
<p>Features: recency, frequency and monetary, each log1p-transformed then standardized. ${algo} Converged in ${m.iterations} iterations (max_iter
${p.max_iter}, tol ${p.tol}).</p>
<table><thead><tr><th>metric</th><th>value</th><th>reading</th></tr></thead><tbody>
<tr><td>inertia</td><td class="n">${fix(m.inertia, 2)}</td><td>sum of squared distances to the nearest centre (lower is tighter)</td></tr>
<tr><td>silhouette</td><td class="n">${fix(m.silhouette, 4)}</td>
<td>−1…1, higher means better-separated segments${m.silhouette_sample < n ? `; on a seeded sample of ${int(m.silhouette_sample)} customers` : ''}</td></tr>
<tr><td>Davies–Bouldin</td><td class="n">${fix(m.davies_bouldin, 3)}</td><td>lower is better</td></tr>
<tr><td>Calinski–Harabasz</td><td class="n">${fix(m.calinski_harabasz, 1)}</td><td>higher is better</td></tr>
</tbody></table>`);

  // ---- segments
  parts.push(
    `<h2>Segments</h2>
<table><thead><tr><th>segment</th><th>customers</th><th>R F M score</th><th>median R · F · M</th><th>mean R · F · M</th><th>centroid R · F · M</th>
<th>what to do</th></tr></thead><tbody>
${segs
  .map(
    (s) =>
      `<tr><td><span class="sw" style="background:${colorOf(s.cluster)}"></span><strong>${esc(s.name)}</strong>
      <small>(cluster ${s.cluster})</small><br><small>${esc(s.description)}</small></td>
      <td class="n">${int(s.size)}<br><small>${pct(s.size, n)}</small></td><td class="n">${s.scores.r} ${s.scores.f} ${s.scores.m}</td>
      <td class="n">${rfm(s.median)}</td><td class="n">${rfm(s.mean)}</td><td class="n">${rfm(s.centroid)}</td><td>${esc(s.action)}</td></tr>`,
  )
  .join('\n')}
</tbody></table>
<p class="sub">R = recency in days since the last purchase, F = number of invoices, M = total spent. ` +
      `Scores are 1–5 against the customers' quintiles (recency reversed: 5 = most recent); ` +
      `the centroid is the cluster centre mapped back to original units.</p>
${namingSection(a)}`,
  );

  // ---- charts
  parts.push(`<h2>Plots</h2>
<figure>${customerScatterChart(points, a.segments)}<figcaption>Recency against monetary value of ${
    idx.length < n
      ? `a seeded random sample of
${int(idx.length)} of the ${int(n)} customers`
      : `all ${int(n)} customers`
  }, coloured by segment; both axes are logarithmic.</figcaption></figure>
<figure>${segmentSizesChart(a.segments, REPORT_WIDTH)}<figcaption>Customers per segment (numbers in the segment table above).</figcaption></figure>
<figure>${snakeChart(a, REPORT_WIDTH)}<figcaption>Snake plot: each segment's centroid in standardized recency, frequency and monetary value (log1p,
then z-score), the point its customers are assigned by and their mean. Above 0 is above the average customer; for recency that means longer since the
last purchase.</figcaption>
</figure>`);

  parts.push(`<h2>Run</h2><dl>
<dt>parameters</dt><dd>k ${a.k}, seed ${p.seed}, n_init ${p.n_init}, max_iter ${p.max_iter}, tol ${p.tol}, init ${esc(p.init)}${
    p.algorithm
      ? `,
algorithm ${esc(p.algorithm)}`
      : ''
  }</dd>
<dt>time</dt><dd>${Object.entries(a.training.phases_ms)
    .map(([k, v]) => `${esc(k)} ${int(Math.round(v))} ms`)
    .join(', ')}</dd>
</dl></main></body></html>
`);
  return parts.join('\n');
}

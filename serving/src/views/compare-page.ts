import type { VersionComparison } from '@rfm/registry';
import { flowsAlt, flowsHeight, FLOWS_WIDTH } from '@rfm/charts';
import { html, raw, type SafeHtml } from './html.js';
import { page } from './layout.js';
import { fmtNumber } from '../ui/explain.js';
import { versionHref, type AdminView, type Notice } from './models-page.js';
export { compareHref } from './models-page.js';

/**
 * /models/<name>/compare?a=&b=: what `rfm models compare` prints, as a page: metrics side by side,
 * the centroid shift, how many customers would change segment and the flows between segments as
 * a Sankey chart with a table beside it (its text alternative). Public like the version pages: it
 * shows counts per segment, never a customer.
 */

const enc = encodeURIComponent;
const f4 = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(4);

export interface ComparePageOptions {
  model: string;
  /** every version of the model (for the two selects) */
  versions: number[];
  production: number | null;
  /** what the selects show (the query as given, when it was not valid) */
  picked: { a: string; b: string };
  comparison: VersionComparison | null;
  admin: AdminView | null;
  notice?: Notice;
}

function pickForm(o: ComparePageOptions): SafeHtml {
  const select = (id: 'a' | 'b', label: string) => html`<div><label class="block" for="compare-${id}">${label}</label>
<select id="compare-${id}" name="${id}">${o.versions.map(
    (v) =>
      html`<option value="${v}"${String(v) === o.picked[id] ? raw(' selected') : ''}>v${v}${v === o.production ? ' (production)' : ''}</option>`,
  )}</select></div>`;
  return html`<form method="get" action="/models/${enc(o.model)}/compare" id="compare-form" class="card">
<div class="cols">${select('a', 'Before (e.g. production)')}${select('b', 'After (e.g. the candidate)')}</div>
<div class="actions"><button type="submit" id="compare-submit">Compare</button></div>
</form>`;
}

export function renderComparePage(o: ComparePageOptions): string {
  const c = o.comparison;
  const title = c ? `${o.model}: v${c.a.version} → v${c.b.version}` : `${o.model}: compare versions`;
  const body = html`<p class="small"><a href="/models">← All models</a></p>
<h1>${title}</h1>
${o.notice ? html`<div class="notice notice-${o.notice.kind}" role="alert" id="notice"><p>${o.notice.text}</p></div>` : ''}
${c ? comparison(o, c) : ''}
${pickForm(o)}`;
  return page({
    title,
    body,
    nav: 'models',
    admin: o.admin?.actor ?? null,
    badge: o.production === null ? 'No production version' : `Production: v${o.production}`,
  });
}

function comparison(o: ComparePageOptions, c: VersionComparison): SafeHtml {
  const va = versionHref(o.model, c.a.version);
  const vb = versionHref(o.model, c.b.version);
  const row = (label: string, a: unknown, b: unknown, id: string) =>
    html`<tr id="metric-${id}"><th scope="row">${label}</th><td class="num" data-label="v${c.a.version}">${a}</td>
<td class="num" data-label="v${c.b.version}">${b}</td></tr>`;
  const x = c.assignments;
  const promote =
    o.admin && c.b.version !== o.production
      ? html`<p><a class="button" href="${vb}#promote-form" id="go-promote">Promote v${c.b.version}…</a>
<span class="small muted">(on its version page; the promotion policy is checked there)</span></p>`
      : '';
  return html`<p>Before: <a href="${va}" id="link-a">v${c.a.version}</a>${c.a.version === o.production ? ' (production)' : ''}; after:
<a href="${vb}" id="link-b">v${c.b.version}</a>${c.b.version === o.production ? ' (production)' : ''}.</p>
${promote}
<div class="cols">
<section class="card" aria-labelledby="cmp-metrics-title">
<h2 id="cmp-metrics-title">Metrics side by side</h2>
<div class="table-scroll" tabindex="0" role="region" aria-label="Metrics side by side"><table id="compare-metrics" class="stack">
<caption class="visually-hidden">Quality metrics of v${c.a.version} and v${c.b.version}</caption>
<thead><tr><th scope="col">Metric</th><th scope="col" class="num">v${c.a.version}</th><th scope="col" class="num">v${c.b.version}</th></tr></thead>
<tbody>
${row('k (segments)', c.a.k, c.b.k, 'k')}
${row('Training customers', fmtNumber(c.a.customers), fmtNumber(c.b.customers), 'customers')}
${row('Inertia', c.a.metrics.inertia.toFixed(2), c.b.metrics.inertia.toFixed(2), 'inertia')}
${row('Silhouette (higher is better)', f4(c.a.metrics.silhouette), f4(c.b.metrics.silhouette), 'silhouette')}
${row('Davies–Bouldin (lower is better)', f4(c.a.metrics.davies_bouldin), f4(c.b.metrics.davies_bouldin), 'davies-bouldin')}
</tbody></table></div>
<dl class="facts" id="compare-segments"><dt>Segments of v${c.a.version}</dt><dd>${c.a.segments.join(', ')}</dd>
<dt>Segments of v${c.b.version}</dt><dd>${c.b.segments.join(', ')}</dd></dl>
</section>
<section class="card" aria-labelledby="cmp-shift-title">
<h2 id="cmp-shift-title">Centroid shift</h2>
<div class="table-scroll" tabindex="0" role="region" aria-label="Centroid shift"><table id="compare-shift" class="stack">
<caption class="small muted">Each segment of v${c.b.version} against the nearest of v${c.a.version}, in standardized units</caption>
<thead><tr><th scope="col">Segment (v${c.b.version})</th><th scope="col">Nearest before</th><th scope="col" class="num">Distance</th></tr></thead>
<tbody>${c.centroid_shift.map(
    (s) => html`<tr><th scope="row">${s.b_segment}</th><td data-label="Nearest before">${s.a_segment}</td>
<td class="num" data-label="Distance">${s.distance.toFixed(3)}</td></tr>`,
  )}</tbody></table></div>
</section>
</div>
${
  x
    ? flowsSection(o, c, x)
    : html`<section class="card"><h2>Customers</h2><p class="muted" id="no-assignments">Assignments not compared: the newer version was registered
without its training customers.</p></section>`
}`;
}

function flowsSection(
  o: ComparePageOptions,
  c: VersionComparison,
  x: NonNullable<VersionComparison['assignments']>,
): SafeHtml {
  const newer = Math.max(c.a.version, c.b.version);
  const flows = x.transitions.map((t) => ({ from: t.from, to: t.to, customers: t.customers }));
  return html`<section class="card" aria-labelledby="cmp-flows-title">
<h2 id="cmp-flows-title">Who would change segment</h2>
<p id="changed-summary">On v${newer}'s ${fmtNumber(x.customers)} training customers:
<strong><span id="changed-count">${fmtNumber(x.changed_segment)}</span> customers (${(100 * x.changed_share).toFixed(1)}%) would change segment</strong>;
adjusted Rand index <span id="ari">${x.ari.toFixed(4)}</span> (1 = the same grouping).</p>
<div class="cols">
<figure class="chart" id="chart-flows"><img src="/models/${enc(o.model)}/compare/flows.svg?a=${c.a.version}&amp;b=${c.b.version}"
width="${FLOWS_WIDTH}" height="${flowsHeight(flows)}" alt="Sankey diagram of customers from v${c.a.version}'s segments to v${c.b.version}'s: ${flowsAlt(flows)}">
<figcaption>Flows from each segment under v${c.a.version} (left) to v${c.b.version} (right); band width = customers. The table has every number.</figcaption></figure>
<div class="table-scroll" tabindex="0" role="region" aria-label="Flows between segments"><table id="compare-flows" class="stack">
<caption class="small muted">Customers per flow, v${c.a.version} → v${c.b.version}, largest first</caption>
<thead><tr><th scope="col">From (v${c.a.version})</th><th scope="col">To (v${c.b.version})</th><th scope="col" class="num">Customers</th></tr></thead>
<tbody>${x.transitions.map(
    (t) => html`<tr data-from="${t.from}" data-to="${t.to}"><th scope="row">${t.from}</th>
<td data-label="To">${t.to}${t.from === t.to ? html` <span class="muted small">(same)</span>` : ''}</td>
<td class="num" data-label="Customers">${fmtNumber(t.customers)}</td></tr>`,
  )}</tbody></table></div>
</div>
</section>`;
}

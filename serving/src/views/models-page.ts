import { trainingRevenue, type ArtifactV1, type Role } from '@rfm/shared';
import { type EventRecord, PRODUCTION, type RuleResult, type VersionRecord } from '@rfm/registry';
import { html, raw, type SafeHtml } from './html.js';
import { page } from './layout.js';
import { fmtNumber } from '../ui/explain.js';
import { CHART_WIDTH, MAP_HEIGHT, sizesHeight, snakeHeight } from '@rfm/charts';

/** The models pages: every version with status and metrics, and one version in depth. */

export interface Notice {
  kind: 'ok' | 'err' | 'warn';
  text: string;
  /** extra lines (e.g. each failed policy rule) */
  items?: string[];
}

/** The signed-in person as pages need them: name, role, and the form token of their session. */
export interface AdminView {
  actor: string;
  role: Role;
  csrf: string;
}

/** Promote, roll back, relabel and "sign out everyone" are shown to admins only. */
export const isAdmin = (a: AdminView | null | undefined): boolean => a?.role === 'admin';
/** "ana (viewer)": who is signed in, for the top bar. */
export const whoLabel = (a: AdminView | null | undefined): string | null => (a ? `${a.actor} (${a.role})` : null);

const enc = encodeURIComponent;
export const versionHref = (name: string, v: number) => `/models/${enc(name)}/${v}`;
/** The compare page of two versions (public: counts per segment, no customer). */
export const compareHref = (name: string, a: number, b: number) => `/models/${enc(name)}/compare?a=${a}&b=${b}`;

/** What to compare a version with: production, else the version before it (null for a lone first version). */
function compareBase(version: number, production: number | null): number | null {
  if (production !== null && production !== version) return production;
  return version > 1 ? version - 1 : null;
}

function when(iso: string | null | undefined): SafeHtml | string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  // UTC, to the minute: the same for everyone reading the page, whatever their time zone.
  return html`<time datetime="${d.toISOString()}">${d.toISOString().slice(0, 16).replace('T', ' ')} UTC</time>`;
}

const num = (n: number | null | undefined, digits = 3) =>
  n === null || n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(digits);

function notice(n: Notice | undefined): SafeHtml | '' {
  if (!n) return '';
  return html`<div class="notice notice-${n.kind}" role="${n.kind === 'ok' ? 'status' : 'alert'}" id="notice"><p>${n.text}</p>${
    n.items?.length ? html`<ul>${n.items.map((i) => html`<li>${i}</li>`)}</ul>` : ''
  }</div>`;
}

function statusPills(v: VersionRecord): SafeHtml {
  const aliases = [...v.aliases].sort((a, b) => (a === PRODUCTION ? -1 : b === PRODUCTION ? 1 : a.localeCompare(b)));
  return html`${aliases.map((a) => (a === PRODUCTION ? html`<span class="pill pill-prod">★ production</span>` : html`<span class="pill">${a}</span>`))}${
    v.status === 'archived'
      ? html`<span class="pill pill-archived">archived</span>`
      : aliases.length
        ? ''
        : html`<span class="pill">candidate</span>`
  }`;
}

const csrfField = (a: AdminView) => html`<input type="hidden" name="csrf" value="${a.csrf}">`;

function reasonField(id: string, required = true): SafeHtml {
  return html`<label class="block" for="${id}">Reason <span class="opt">(kept in the audit trail)</span></label>
<textarea id="${id}" name="reason" maxlength="500"${required ? raw(' required') : ''}></textarea>`;
}

function historyTable(events: EventRecord[], caption: string, id: string): SafeHtml {
  if (!events.length) return html`<p class="muted" id="${id}">No alias has moved yet.</p>`;
  const what = (e: EventRecord) =>
    e.action === 'alias_set'
      ? 'moved'
      : e.action === 'rollback'
        ? 'rolled back'
        : e.action === 'alias_delete'
          ? 'removed'
          : e.action === 'relabel'
            ? 'relabelled a segment'
            : e.action;
  return html`<div class="table-scroll" tabindex="0" role="region" aria-label="${caption}"><table id="${id}" class="stack">
<caption>${caption}</caption>
<thead><tr><th scope="col">When</th><th scope="col">Alias</th><th scope="col">Change</th><th scope="col">By</th><th scope="col">Reason</th></tr></thead>
<tbody>${events.map(
    (e) =>
      html`<tr><th scope="row">${when(e.at)}</th><td data-label="Alias">${e.alias ?? '—'}</td>
      <td data-label="Change">${what(e)}${
        e.alias
          ? html` ${e.fromVersion === null ? '—' : `v${e.fromVersion}`} →
      ${e.toVersion === null ? '—' : `v${e.toVersion}`}`
          : e.toVersion !== null
            ? ` (v${e.toVersion})`
            : ''
      }</td>
      <td data-label="By">${e.actor}</td><td data-label="Reason">${e.reason || html`<span class="muted">—</span>`}</td></tr>`,
  )}</tbody></table></div>`;
}

export interface ModelListEntry {
  name: string;
  versions: VersionRecord[];
  production: number | null;
  history: EventRecord[];
}

export interface ModelsPageOptions {
  models: ModelListEntry[];
  /** version the server answers with right now, for the model it serves */
  serving: { modelName: string; version: number } | null;
  admin: AdminView | null;
  adminEnabled: boolean;
  notice?: Notice;
}

const MAP_ALT =
  "Scatter chart of recency against money spent for each segment's typical customer, bubble size by segment size; " +
  'the numbers are in the segment profile table.';

export function renderModelsPage(o: ModelsPageOptions): string {
  const body = html`<h1>Models</h1>
<p class="lead">Every trained version, what it was trained on and how well it separates customers. The server answers with the version marked
<strong>★ production</strong>; promoting another version or rolling back takes effect within a second.</p>
${notice(o.notice)}
${
  o.models.length === 0
    ? html`<div class="notice notice-warn" role="status">No model has been trained yet. Run <code>rfm train
&lt;export.csv&gt;</code> to register a first version.</div>`
    : ''
}
${o.models.map((m) => modelSection(m, o))}
${
  !isAdmin(o.admin)
    ? html`<p class="small muted" id="admin-hint">${
        o.admin
          ? `Promoting, rolling back and renaming segments need the admin role; ${o.admin.actor} is a ${o.admin.role}.`
          : o.adminEnabled
            ? html`Promote, roll back or relabel: <a href="/admin?next=/models">sign in as
admin</a>.`
            : 'Admin actions are off on this server (start it with RFM_USERS or RFM_ADMIN_TOKEN to enable them).'
      }</p>`
    : ''
}`;
  return page({
    title: 'Models',
    body,
    nav: 'models',
    admin: whoLabel(o.admin),
    badge: o.serving ? `Serving ${o.serving.modelName} v${o.serving.version}` : 'No model active',
  });
}

function modelSection(m: ModelListEntry, o: ModelsPageOptions): SafeHtml {
  const rows = [...m.versions].reverse().map((v) => {
    const isProd = v.aliases.includes(PRODUCTION);
    const serving = o.serving && o.serving.modelName === m.name && o.serving.version === v.version;
    return html`<tr class="${isProd ? 'is-production' : ''}" data-version="${v.version}" id="version-${v.version}">
<th scope="row"><a href="${versionHref(m.name, v.version)}">v${v.version}</a>${serving ? html`<br><span class="small">serving now</span>` : ''}</th>
<td data-label="Status">${statusPills(v)}</td>
<td data-label="Trained">${when(v.training.trained_at || v.createdAt)} <br><span class="small muted">by ${v.createdBy}</span></td>
<td data-label="From export"><span class="export">${v.data.source.file}</span><br><span class="small muted">${fmtNumber(v.data.customers)} customers ·
snapshot ${v.data.snapshot_date}</span></td>
<td class="num" data-label="Segments">${v.k}</td>
<td class="num" data-label="Silhouette">${num(v.metrics.silhouette)}</td>
<td class="num" data-label="Davies–Bouldin">${num(v.metrics.davies_bouldin)}</td>
<td class="num" data-label="Calinski–H.">${
      v.metrics.calinski_harabasz === null || v.metrics.calinski_harabasz === undefined
        ? '—'
        : fmtNumber(v.metrics.calinski_harabasz)
    }</td>
</tr>`;
  });
  const moves = m.history.filter((e) => e.alias !== null);
  return html`<section class="card" aria-labelledby="model-${m.name}">
<h2 id="model-${m.name}">${m.name}</h2>
<p>${
    m.production === null
      ? html`<strong>No version is in
production.</strong>`
      : html`Production: <a href="${versionHref(m.name, m.production)}" id="production-version">v${m.production}</a>`
  } ·
${m.versions.length} version${m.versions.length === 1 ? '' : 's'}</p>
<div class="table-scroll" tabindex="0" role="region" aria-label="Versions of ${m.name}"><table class="versions stack" id="versions-${m.name}">
<caption class="visually-hidden">Versions of ${m.name}, newest first</caption>
<thead><tr><th scope="col">Version</th><th scope="col">Status</th><th scope="col">Trained</th><th scope="col">From export</th>
<th scope="col" class="num">Segments</th>
<th scope="col" class="num"><abbr title="silhouette: −1 to 1, higher is better">Silhouette</abbr></th>
<th scope="col" class="num"><abbr title="Davies–Bouldin index: lower is better">Davies–Bouldin</abbr></th>
<th scope="col" class="num"><abbr title="Calinski–Harabasz index: higher is better">Calinski–H.</abbr></th></tr></thead>
<tbody>${rows}</tbody></table></div>
${isAdmin(o.admin) && m.production !== null ? rollbackForm(m.name, o.admin!) : ''}
<h3>Alias history</h3>
${historyTable(moves.slice(0, 30), `Latest alias moves of ${m.name}, newest first`, 'alias-history')}
</section>`;
}

function rollbackForm(name: string, admin: AdminView): SafeHtml {
  return html`<details class="admin-box"><summary>Roll back production…</summary>
<form method="post" action="/models/${enc(name)}/rollback" id="rollback-form">
${csrfField(admin)}
<p class="small muted">Moves production back to the version it held before its latest move; again steps one move further back.</p>
${reasonField('rollback-reason')}
<div class="actions"><button type="submit" class="danger">Roll back production</button></div>
</form></details>`;
}

// ---------------------------------------------------------------------------------------------
// One version
// ---------------------------------------------------------------------------------------------

export interface VersionPageOptions {
  record: VersionRecord;
  /** artifact with relabels applied; null when it cannot be loaded (shown as an error) */
  artifact: ArtifactV1 | null;
  loadError?: string;
  /** `?rev=` for chart URLs: changes when the artifact or its labels do */
  revision: string;
  hasReport: boolean;
  policy: RuleResult[];
  history: EventRecord[];
  production: number | null;
  admin: AdminView | null;
  adminEnabled: boolean;
  notice?: Notice;
  /** after a policy refusal: offer the forced promotion with the reason already typed */
  offerForce?: { reason: string };
  /** saved scoring runs that used this version, newest first (their pages are for signed-in people) */
  runs?: { id: string; createdAt: string; snapshotDate: string; exportName: string; customers: number }[];
}

export function renderVersionPage(o: VersionPageOptions): string {
  const r = o.record;
  const a = o.artifact;
  const base = versionHref(r.modelName, r.version);
  const isProd = r.aliases.includes(PRODUCTION);
  const rev = enc(o.revision);
  const body = html`<p class="small"><a href="/models">← All models</a></p>
<h1>${r.modelName} v${r.version} ${statusPills(r)}</h1>
${notice(o.notice)}
${o.loadError ? html`<div class="notice notice-err" role="alert">This version cannot be loaded: ${o.loadError}</div>` : ''}
<div class="cols">
<section class="card" aria-labelledby="about-title">
<h2 id="about-title">Training</h2>
<dl class="facts">
<dt>Trained</dt><dd>${when(r.training.trained_at)} by ${r.createdBy} (${r.training.backend} backend, ${fmtNumber(r.training.duration_ms / 1000)} s)</dd>
<dt>From export</dt><dd><span class="export">${r.data.source.file}</span>
<span class="small muted">(${r.data.source.format}, sha256 ${r.data.source.sha256.slice(0, 12)}…)</span></dd>
<dt>Rows</dt><dd>${fmtNumber(r.data.rows_read)} read, ${fmtNumber(r.data.rows_kept)} kept${droppedList(r.data.rows_dropped)}</dd>
<dt>Customers</dt><dd>${fmtNumber(r.data.customers)}, snapshot ${r.data.snapshot_date}${
    r.data.first_invoice
      ? html` (invoices
${r.data.first_invoice.slice(0, 10)} to ${r.data.last_invoice?.slice(0, 10) ?? '?'})`
      : ''
  }</dd>
<dt>k-means</dt><dd>k = ${r.params.k}, seed ${r.params.seed}, ${r.params.n_init} restarts, ${r.metrics.iterations} iterations</dd>
${
  a?.k_selection?.reason
    ? html`<dt>Why k = ${a.k}</dt><dd id="k-reason">${a.k_selection.reason}${
        a.k_selection.runner_up
          ? html`<br><span class="small muted">Runner-up k = ${a.k_selection.runner_up.k}: ${a.k_selection.runner_up.reason}</span>`
          : ''
      }</dd>`
    : ''
}
${r.description ? html`<dt>Description</dt><dd>${r.description}</dd>` : ''}
</dl>
<p>${
    o.hasReport
      ? html`<a class="button secondary" href="${base}/report" id="report-link">Open the training
report</a>`
      : html`<span class="muted" id="report-missing">No training report was stored with this version.</span>`
  }</p>
</section>
<section class="card" aria-labelledby="metrics-title">
<h2 id="metrics-title">Quality</h2>
<dl class="facts">
<dt>Silhouette</dt><dd>${num(r.metrics.silhouette)} <span class="small muted">(−1 to 1, higher is better; on ${fmtNumber(r.metrics.silhouette_sample)}
customers)</span></dd>
<dt>Davies–Bouldin</dt><dd>${num(r.metrics.davies_bouldin)} <span class="small muted">(lower is better)</span></dd>
<dt>Calinski–Harabasz</dt><dd>${r.metrics.calinski_harabasz == null ? '—' : fmtNumber(r.metrics.calinski_harabasz)} <span class="small muted">(higher
is better)</span></dd>
<dt>Inertia</dt><dd>${fmtNumber(r.metrics.inertia)}</dd>
</dl>
<h3>Promotion policy</h3>
<ul class="policy" id="policy">${o.policy.map((p) => html`<li>${p.passed ? '✓' : '✗'} ${p.message}</li>`)}</ul>
${isProd ? html`<p><strong>This version is in production.</strong></p>` : ''}
${compareLink(r.modelName, r.version, o.production)}
</section>
</div>
${
  isAdmin(o.admin)
    ? adminActions(o, base)
    : o.admin
      ? html`<p class="small muted" id="admin-hint">Promoting this version or renaming its segments needs the admin role;
${o.admin.actor} is a ${o.admin.role}.</p>`
      : o.adminEnabled
        ? html`<p class="small muted"><a href="/admin?next=${enc(base)}">Sign in as admin</a> to promote
this version or rename its segments.</p>`
        : ''
}
${a ? segmentsSection(a, base, rev) : ''}
${runsSection(o)}
<section class="card" aria-labelledby="hist-title">
<h2 id="hist-title">History of this version</h2>
${historyTable(o.history, `Alias moves and relabels involving v${r.version}, newest first`, 'version-history')}
</section>`;
  return page({
    title: `${r.modelName} v${r.version}`,
    body,
    nav: 'models',
    admin: whoLabel(o.admin),
    badge: o.production === null ? 'No production version' : `Production: v${o.production}`,
  });
}

function compareLink(name: string, version: number, production: number | null): SafeHtml | '' {
  const base = compareBase(version, production);
  if (base === null) return '';
  return html`<p><a href="${compareHref(name, base, version)}" id="compare-link">Compare with v${base}${
    base === production ? ' (production)' : ''
  }</a>: metrics side by side and which customers would change segment.</p>`;
}

function runsSection(o: VersionPageOptions): SafeHtml | '' {
  const runs = o.runs ?? [];
  if (!runs.length) return '';
  const n = `${runs.length} saved scoring run${runs.length === 1 ? '' : 's'}`;
  return html`<section class="card" aria-labelledby="runs-title" id="version-runs">
<h2 id="runs-title">Scoring runs with this version</h2>
${
  o.admin
    ? html`<ul>${runs.map(
        (
          r,
        ) => html`<li><a href="/runs/${enc(r.id)}">${r.id}</a>: <span class="export">${r.exportName}</span>, snapshot ${r.snapshotDate},
${fmtNumber(r.customers)} customers</li>`,
      )}</ul>`
    : html`<p>${n} used this version. ${
        o.adminEnabled
          ? html`<a href="/admin?next=${enc('/runs')}">Sign in</a> to open them (they show customer-level results).`
          : ''
      }</p>`
}
</section>`;
}

function droppedList(d: Record<string, number>): SafeHtml | '' {
  const e = Object.entries(d).filter(([, n]) => n > 0);
  if (!e.length) return '';
  return html` <span class="small muted">(dropped: ${e.map(([k, n], i) => html`${i ? ', ' : ''}${k.replace(/_/g, ' ')} ${fmtNumber(n)}`)})</span>`;
}

function segmentsSection(a: ArtifactV1, base: string, rev: string): SafeHtml {
  const segs = [...a.segments].sort((x, y) => x.cluster - y.cluster);
  const total = segs.reduce((s, x) => s + x.size, 0) || 1;
  const revenue = trainingRevenue(segs);
  return html`<section class="card" aria-labelledby="segments-title">
<h2 id="segments-title">Segment profile</h2>
<div class="table-scroll" tabindex="0" role="region" aria-label="Segment profile"><table id="segment-profile" class="stack">
<caption class="visually-hidden">Each segment's size, scores and typical customer</caption>
<thead><tr><th scope="col">Segment</th><th scope="col" class="num">Customers</th><th scope="col">Scores</th>
<th scope="col" class="num">Recency (days)</th><th scope="col" class="num">Frequency</th><th scope="col" class="num">Monetary</th>
<th scope="col">Who they are · what to do</th></tr></thead>
<tbody>${segs.map(
    (
      s,
    ) => html`<tr data-cluster="${s.cluster}"><th scope="row"><span class="swatch swatch-${s.cluster % 11}" aria-hidden="true"></span><span
    class="seg-name">${s.name}</span><br><span class="small muted">cluster
    ${s.cluster}</span></th>
<td class="num" data-label="Customers">${fmtNumber(s.size)}<br><span class="small muted">${Math.round((s.size / total) * 100)}%</span><br><span
    class="small revenue-share">${Math.round((revenue.get(s.cluster)?.share ?? 0) * 100)}% of revenue</span></td>
<td data-label="Scores"><span class="scores"><span class="score">R ${s.scores.r}</span><span class="score">F ${s.scores.f}</span><span class="score">M
${s.scores.m}</span></span></td>
<td class="num" data-label="Recency (days)">${fmtNumber(s.centroid.recency)}<br><span class="small muted">avg ${fmtNumber(s.mean.recency)}</span></td>
<td class="num" data-label="Frequency">${fmtNumber(s.centroid.frequency)}<br><span class="small muted">avg ${fmtNumber(s.mean.frequency)}</span></td>
<td class="num" data-label="Monetary">${fmtNumber(s.centroid.monetary)}<br><span class="small muted">avg ${fmtNumber(s.mean.monetary)}</span></td>
<td data-label="Who they are">${s.description}<br><span class="small">${s.action}</span>${
      s.naming
        ? html`<br><span class="small muted naming-why">Called ${s.naming.base_name} because: ${s.naming.because.join('; ')}.</span>`
        : ''
    }</td></tr>`,
  )}</tbody></table></div>
<p class="small muted">${[
    html`Typical = the segment's centre mapped back to original units; avg = the plain mean of its training customers; `,
    html`% of revenue = the segment's share of its training customers' total spend. `,
    html`Scores are 1–5 against all customers (R 5 = bought most recently).`,
  ]}${
    a.naming
      ? [
          html` Names are judged against this shop's usual gap between purchases, ${fmtNumber(a.naming.usual_gap_days)} days (${a.naming.gap_basis}), `,
          html`with the segment's medians: "recent", "new" and "active" only within ${a.naming.recent_within_gaps}× that gap.`,
        ]
      : ''
  }</p>
</section>
<section class="card" aria-labelledby="charts-title">
<h2 id="charts-title">Charts</h2>
<div class="charts">
<figure class="chart" id="chart-sizes"><img src="${base}/charts/sizes.svg?rev=${rev}" width="${CHART_WIDTH}" height="${sizesHeight(segs.length)}"
alt="Bar chart of segment sizes: ${segs
    .map(
      (s) => `${s.name}
${s.size}`,
    )
    .join(', ')}.">
<figcaption>Segment sizes: training customers per segment.</figcaption></figure>
<figure class="chart" id="chart-snake"><img src="${base}/charts/snake.svg?rev=${rev}" width="${CHART_WIDTH}" height="${snakeHeight(segs.length)}"
alt="Snake plot of each segment's standardized recency, frequency and monetary value; the numbers are in the segment profile table.">
<figcaption>Snake plot: each segment's centre in the model's standardized space (log, then z-score). Above 0 = more than the average customer (for
recency: longer ago).</figcaption></figure>
<figure class="chart" id="chart-map"><img src="${base}/charts/map.svg?rev=${rev}" width="${CHART_WIDTH}" height="${MAP_HEIGHT}"
alt="${MAP_ALT}">
<figcaption>Recency vs monetary of each segment's typical customer (log scales; bubble size = segment size).</figcaption></figure>
</div>
</section>`;
}

function adminActions(o: VersionPageOptions, base: string): SafeHtml {
  const admin = o.admin!;
  const r = o.record;
  const isProd = r.aliases.includes(PRODUCTION);
  const segs = o.artifact ? [...o.artifact.segments].sort((x, y) => x.cluster - y.cluster) : [];
  const promote = isProd
    ? html`<p class="muted">v${r.version} is already in production.</p>`
    : r.status === 'archived'
      ? html`<p class="muted">Archived versions cannot be promoted.</p>`
      : html`<form method="post" action="${base}/promote" id="promote-form">
${csrfField(admin)}
<p>Make v${r.version} the version every server answers with${o.production !== null ? html` (now v${o.production})` : ''}. The promotion policy is
checked first.</p>
${
  o.production !== null
    ? html`<p><a href="${compareHref(r.modelName, o.production, r.version)}" id="promote-compare">See what this promotion changes</a> (v${o.production} →
v${r.version}: metrics, customers who would change segment).</p>`
    : ''
}
${o.offerForce ? html`<input type="hidden" name="force" value="on">` : ''}
<label class="block" for="promote-reason">Reason
<span class="opt">(kept in the audit trail${o.offerForce ? '; required to override the policy' : ''})</span></label>
<textarea id="promote-reason" name="reason" maxlength="500" required>${o.offerForce?.reason ?? ''}</textarea>
<div class="actions">${
          o.offerForce
            ? html`<button type="submit" class="danger" id="force-promote">Promote anyway (override the policy)</button><a href="${base}">Cancel</a>`
            : html`<button type="submit" id="promote">Promote v${r.version} to production</button>`
        }</div>
</form>`;
  return html`<section class="card" aria-labelledby="admin-title" id="admin-actions">
<h2 id="admin-title">Admin actions <span class="small muted">(signed in as ${admin.actor})</span></h2>
<div class="cols">
<div>
<h3>Promote</h3>
${promote}
</div>
<div>
<h3>Rename a segment</h3>
${
  segs.length
    ? html`<form method="post" action="${base}/relabel" id="relabel-form">
${csrfField(admin)}
<label class="block" for="relabel-cluster">Segment</label>
<select id="relabel-cluster" name="cluster">${segs.map((s) => html`<option value="${s.cluster}">${s.name} (cluster ${s.cluster})</option>`)}</select>
<label class="block" for="relabel-name">New name</label>
<input id="relabel-name" name="name" maxlength="64" required autocomplete="off">
${reasonField('relabel-reason')}
<div class="actions"><button type="submit" id="relabel">Rename segment</button></div>
</form>`
    : html`<p class="muted">This version cannot be loaded, so its segments cannot be renamed.</p>`
}
</div>
</div>
</section>`;
}

// ---------------------------------------------------------------------------------------------
// Admin sign-in
// ---------------------------------------------------------------------------------------------

export interface AdminPageOptions {
  enabled: boolean;
  admin: AdminView | null;
  next: string;
  error?: string;
}

export function renderAdminPage(o: AdminPageOptions): string {
  let body: SafeHtml;
  if (!o.enabled) {
    body = html`<h1>Admin</h1><div class="notice notice-warn" role="status" id="admin-disabled">${[
      html`Sign-in is off on this server. `,
      html`Start it with <code>RFM_USERS</code> (people added with <code>rfm users add</code>) or <code>RFM_ADMIN_TOKEN</code> set `,
      html`to open runs and to promote, roll back and rename segments from these pages.`,
    ]}</div>`;
  } else if (o.admin) {
    body = html`<h1>Admin</h1>
<div class="notice notice-ok" role="status" id="signed-in">${[
      html`Signed in as <strong id="signed-in-name">${o.admin.actor}</strong>, role <strong id="signed-in-role">${o.admin.role}</strong>. `,
      isAdmin(o.admin)
        ? html`Promote, roll back and rename segments on the <a href="/models">models page</a>.`
        : html`Open <a href="/runs">scoring runs</a> and their customer lists; changing models needs the admin role.`,
    ]}</div>
<form method="post" action="/admin/logout">${csrfField(o.admin)}<button type="submit" class="secondary" id="sign-out">Sign out</button></form>
${
  isAdmin(o.admin)
    ? html`<form method="post" action="/admin/logout-all">${csrfField(o.admin!)}${[
        html`<button type="submit" class="secondary" id="sign-out-all">Sign out everyone</button> `,
        html`<span class="small muted">ends every session on this server, yours included</span>`,
      ]}</form>`
    : ''
}`;
  } else {
    body = html`<h1>Sign in</h1>
<p class="lead">Sign in with your own token (from <code>rfm users add</code>): scoring runs need a viewer or an admin;
promoting a version, rolling back and renaming segments need an admin. Your name comes with the token.</p>
${o.error ? html`<div class="notice notice-err" role="alert" id="login-error">${o.error}</div>` : ''}
<form class="card" method="post" action="/admin/login" id="login-form">
<input type="hidden" name="next" value="${o.next}">
<div class="grid">
<div class="field"><label for="token">Your token</label>
<input id="token" name="token" type="password" required autocomplete="current-password"
aria-describedby="token-hint"${o.error ? raw(' aria-invalid="true"') : ''}>
<p class="hint" id="token-hint">Kept only on the server; your browser gets a signed session cookie for 8 hours.</p></div>
</div>
<div class="actions"><button type="submit" id="sign-in">Sign in</button></div>
</form>`;
  }
  return page({ title: 'Admin', body, nav: 'admin', admin: whoLabel(o.admin) });
}

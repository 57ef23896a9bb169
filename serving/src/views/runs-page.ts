import { formatShare as pct } from '@rfm/shared';
import {
  CUSTOMER_ATTRIBUTES,
  EXPORT_ROLES,
  SEGMENT_CATALOGUE,
  type CustomerAttribute,
  type ExportRole,
  type SegmentSummary,
} from '@rfm/shared';
import type { ExportPreview } from '../runs/column-guess.js';
import type { RunJob, RunRecord } from '@rfm/registry';
import type { KeyTransition, RunDiff } from '@rfm/runs';
import { flowsAlt, flowsHeight, FLOWS_WIDTH, sharesAlt, sharesHeight, type Flow } from '@rfm/charts';
import { html, raw, type SafeHtml } from './html.js';
import { page } from './layout.js';
import { fmtNumber } from '../ui/explain.js';
import { isAdmin, versionHref, whoLabel, type AdminView, type Notice } from './models-page.js';
import { mayCancel } from '../ui/session.js';

/**
 * The marketer's pages (issue 12): saved scoring runs and running jobs (/runs), one run's segments,
 * revenue and movement since the previous run (/runs/<id>), the upload form (/runs/new) and the
 * status page of a run still going. Signed-in only: every page here shows customer-level results.
 */

const enc = encodeURIComponent;
export const runHref = (id: string) => `/runs/${enc(id)}`;
const money = (v: number) => Math.round(v).toLocaleString('en-US');

function when(iso: string): SafeHtml | string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return html`<time datetime="${d.toISOString()}">${d.toISOString().slice(0, 16).replace('T', ' ')} UTC</time>`;
}

function notice(n: Notice | undefined): SafeHtml | '' {
  if (!n) return '';
  return html`<div class="notice notice-${n.kind}" role="${n.kind === 'ok' ? 'status' : 'alert'}" id="notice"><p>${n.text}</p></div>`;
}

const csrfField = (a: AdminView) => html`<input type="hidden" name="csrf" value="${a.csrf}">`;

// ---- /runs ---------------------------------------------------------------------------------

export interface RunsListOptions {
  admin: AdminView;
  saved: RunRecord[];
  /** jobs not (yet) saved: queued, running, failed, cancelled, or finished without saving */
  jobs: RunJob[];
}

export function renderRunsList(o: RunsListOptions): string {
  const rows = [
    ...o.jobs.map((j) => ({
      id: j.id,
      at: j.createdAt,
      model: `${j.model} v${j.version}`,
      what: html`<span class="pill">${j.state}</span>${j.state === 'running' ? ` ${j.phase ?? ''} ${Math.round(j.percent)}%` : ''}`,
      customers: '—',
    })),
    ...o.saved.map((r) => ({
      id: r.id,
      at: r.createdAt,
      model: `${r.modelName} v${r.version}`,
      what: html`<span class="export">${r.exportName}</span><br><span class="small muted">snapshot ${r.snapshotDate}</span>${
        r.drift?.retrainAdvised ? html`<br><span class="pill" data-retrain="advised">retraining advised</span>` : ''
      }`,
      customers: fmtNumber(r.customers),
    })),
  ].sort((a, b) => b.at.localeCompare(a.at));
  const body = html`<h1>Scoring runs</h1>
<p class="lead">Each run scores every customer of one transaction export with a model version: segment sizes, revenue shares, who moved
since the previous run, and customer lists to download.</p>
<p><a class="button" href="/runs/new" id="new-run">Segment an export</a></p>
${
  rows.length
    ? html`<div class="table-scroll" tabindex="0" role="region" aria-label="Scoring runs"><table class="stack" id="runs-table">
<caption class="visually-hidden">Scoring runs, newest first</caption>
<thead><tr><th scope="col">Run</th><th scope="col">Started</th><th scope="col">Model</th><th scope="col">Export or state</th>
<th scope="col" class="num">Customers</th></tr></thead>
<tbody>${rows.map(
        (r) => html`<tr data-run="${r.id}"><th scope="row"><a href="${runHref(r.id)}">${r.id}</a></th>
<td data-label="Started">${when(r.at)}</td><td data-label="Model">${r.model}</td><td data-label="Export or state">${r.what}</td>
<td class="num" data-label="Customers">${r.customers}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="muted" id="no-runs">No export has been scored yet.</p>`
}`;
  return page({ title: 'Scoring runs', body, nav: 'runs', admin: whoLabel(o.admin) });
}

// ---- /runs/new -----------------------------------------------------------------------------

export interface UploadPageOptions {
  admin: AdminView;
  models: { name: string; versions: number[]; production: number | null }[];
  defaultModel: string;
  /** the refusal, shown next to the field it concerns */
  error?: { field: 'file' | 'model'; text: string };
  values?: { model?: string; version?: string };
  maxBytes: number;
}

export function renderUploadPage(o: UploadPageOptions): string {
  const err = (f: 'file' | 'model') =>
    o.error?.field === f ? html`<p class="error" id="${f}-error" role="alert">${o.error.text}</p>` : '';
  const described = (f: 'file' | 'model') =>
    raw(
      `aria-describedby="${f}-hint${o.error?.field === f ? ` ${f}-error` : ''}"${o.error?.field === f ? ' aria-invalid="true"' : ''}`,
    );
  const chosen = o.values?.model ?? o.defaultModel;
  const versionChoice = o.values?.version ?? '';
  const body = html`<p class="small"><a href="/runs">← All runs</a></p>
<h1>Segment an export</h1>
<p class="lead">Upload this month's transaction export (CSV, CSV.gz or Parquet). Every customer is scored with the chosen model version and
the run is saved: segment sizes, revenue shares, who moved since the last run and customer lists to download.</p>
<form class="card" method="post" action="/runs/new" enctype="multipart/form-data" id="upload-form">
${csrfField(o.admin)}
<div class="field"><label for="file">Transaction export</label>
<input id="file" name="file" type="file" required accept=".csv,.gz,.csv.gz,.parquet,text/csv,application/gzip" ${described('file')}>
<p class="hint" id="file-hint">One row per invoice line: customer, invoice, date, quantity and price (the columns <code>rfm train</code> reads).
At most ${fmtNumber(o.maxBytes / 1024 ** 2)} MB.</p>
${err('file')}</div>
<div class="grid">
<div class="field"><label for="model">Model</label>
<select id="model" name="model" ${described('model')}>${o.models.map(
    (m) => html`<option value="${m.name}"${m.name === chosen ? raw(' selected') : ''}>${m.name}</option>`,
  )}</select>
<p class="hint" id="model-hint">Runs of one model are compared with each other.</p>
${err('model')}</div>
<div class="field"><label for="version">Version <span class="opt">(optional)</span></label>
<select id="version" name="version" aria-describedby="version-hint"><option value="">production</option>${o.models
    .filter((m) => m.name === chosen)
    .flatMap((m) => m.versions)
    .map(
      (v) => html`<option value="${v}"${String(v) === versionChoice ? raw(' selected') : ''}>v${v}</option>`,
    )}</select>
<p class="hint" id="version-hint">Empty: the version in production now.</p></div>
</div>
<div class="actions"><button type="submit" id="upload">Upload and segment</button></div>
</form>`;
  return page({ title: 'Segment an export', body, nav: 'runs', admin: whoLabel(o.admin) });
}

// ---- /runs/new, step 2: which column is which --------------------------------------------------

const ROLE_LABELS: Record<ExportRole, string> = {
  customer: 'Customer',
  invoice: 'Invoice (optional)',
  date: 'Invoice date',
  quantity: 'Quantity',
  price: 'Unit price',
  amount: 'Amount (instead of quantity × price)',
};

export interface MappingPageOptions {
  admin: AdminView;
  runId: string;
  exportName: string;
  values: { model?: string; version?: string };
  preview: ExportPreview;
  mapping: Partial<Record<ExportRole, string>>;
  errors?: Partial<Record<ExportRole, string>>;
  /** the customer attribute columns chosen (or guessed): e-mail, name, marketing consent */
  attributes?: Partial<Record<CustomerAttribute, string>>;
}

const ATTRIBUTE_LABELS: Record<CustomerAttribute, string> = {
  email: 'E-mail address',
  name: 'Customer name',
  consent: 'Marketing consent (yes / no)',
};

export function renderMappingPage(o: MappingPageOptions): string {
  const cols = o.preview.columns;
  const field = (role: ExportRole) => {
    const err = o.errors?.[role];
    return html`<div class="field"><label for="col-${role}">${ROLE_LABELS[role]}</label>
<select id="col-${role}" name="${role}"${err ? raw(` aria-invalid="true" aria-describedby="col-${role}-error"`) : ''}>
<option value="">— none —</option>${cols.map((c) => html`<option value="${c}"${o.mapping[role] === c ? raw(' selected') : ''}>${c}</option>`)}</select>
${err ? html`<p class="error" id="col-${role}-error">${err}</p>` : ''}</div>`;
  };
  const body = html`<p class="small"><a href="/runs/new">← Upload another file</a></p>
<h1>Which column is which?</h1>
<p class="lead">The columns of <span class="export">${o.exportName}</span> are not the ones rfm knows. Choose the column for each role; the best
guesses are already chosen. This is the same mapping <code>rfm score --columns</code> takes.</p>
${
  o.errors && Object.keys(o.errors).length
    ? html`<div class="notice notice-err" role="alert" id="mapping-error"><p>Some choices need a look: see the fields
marked below.</p></div>`
    : ''
}
<section class="card" aria-labelledby="found-title"><h2 id="found-title">Columns found</h2>
<div class="table-scroll" tabindex="0" role="region" aria-label="Columns found"><table class="stack" id="found-columns"><caption class="visually-hidden">Each column of the file with sample values</caption>
<thead><tr><th scope="col">Column</th><th scope="col">Sample values</th></tr></thead>
<tbody>${cols.map(
    (c, i) =>
      html`<tr><th scope="row">${c}</th><td data-label="Sample values">${o.preview.samples
        .map((r) => r[i] ?? '')
        .filter((v) => v !== '')
        .slice(0, 3)
        .join(' · ')}</td></tr>`,
  )}</tbody></table></div></section>
<form class="card" method="post" action="/runs/new/columns" id="mapping-form">
${csrfField(o.admin)}
<input type="hidden" name="run" value="${o.runId}">
<input type="hidden" name="name" value="${o.exportName}">
${o.values.model ? html`<input type="hidden" name="model" value="${o.values.model}">` : ''}
${o.values.version ? html`<input type="hidden" name="version" value="${o.values.version}">` : ''}
<div class="grid">${EXPORT_ROLES.map(field)}</div>
<fieldset id="attribute-columns"><legend>Customer details for email lists (optional)</legend>
<p class="hint">Kept with each customer, the latest value per customer. When a consent column is chosen, lists leave out customers
without consent unless you include them. The same as <code>rfm score --attributes</code>.</p>
<div class="grid">${CUSTOMER_ATTRIBUTES.map(
    (a) => html`<div class="field"><label for="attr-${a}">${ATTRIBUTE_LABELS[a]}</label>
<select id="attr-${a}" name="attr_${a}"><option value="">— none —</option>${cols.map(
      (c) => html`<option value="${c}"${o.attributes?.[a] === c ? raw(' selected') : ''}>${c}</option>`,
    )}</select></div>`,
  )}</div></fieldset>
<div class="actions"><button type="submit" id="map-columns">Use these columns and segment</button></div>
</form>`;
  return page({ title: 'Which column is which?', body, nav: 'runs', admin: whoLabel(o.admin) });
}

// ---- a run still going (or one that ended without a saved result) --------------------------

export function renderRunStatus(admin: AdminView, j: RunJob): string {
  const active = j.state === 'queued' || j.state === 'running';
  const pctDone = Math.max(0, Math.min(100, Math.round(j.percent)));
  const phase = j.state === 'queued' ? 'waiting for its turn' : (j.phase ?? 'starting');
  // a train job ("train a new version" on a run page) shows the same bar; it ends on a compare page
  const train = j.options.kind === 'train';
  const source = typeof j.options.source === 'string' ? j.options.source : null;
  const back = train && source ? html` <a href="${runHref(source)}">Back to run ${source}</a>.` : '';
  const what = train ? 'Training' : 'Run';
  const body = html`<p class="small"><a href="/runs">← All runs</a></p>
<h1>${what} ${j.id}</h1>
<section class="card" aria-labelledby="status-title" id="run-status" data-run="${j.id}" data-state="${j.state}">
<h2 id="status-title">${
    active
      ? train
        ? 'Training a new version…'
        : 'Scoring…'
      : j.state === 'cancelled'
        ? 'Cancelled'
        : j.state === 'failed'
          ? train
            ? 'Training failed'
            : 'This run failed'
          : 'Finished'
  }</h2>
<p>${
    train
      ? html`A new version of ${j.model} on the export of run ${source ?? '?'} (k = ${String(j.options.k ?? '?')}), to compare with v${j.version};
started ${when(j.createdAt)}.`
      : html`Model ${j.model} v${j.version}, started ${when(j.createdAt)}.`
  }</p>
${
  active
    ? html`<label for="run-progress" class="block">Progress: <span id="run-phase">${phase}</span>,
<span id="run-rows">${fmtNumber(j.rowsRead)}</span> rows read</label>
<progress id="run-progress" max="100" value="${pctDone}">${pctDone}%</progress> <span id="run-percent" aria-hidden="true">${pctDone}%</span>
<p class="small muted" id="refresh-hint">This page refreshes itself every 2 seconds and opens the result when ${train ? 'training' : 'the run'} is done.</p>
${
  mayCancel(admin, j)
    ? html`<form method="post" action="${runHref(j.id)}/cancel" id="cancel-form">${csrfField(admin)}
<button type="submit" class="secondary" id="cancel-run">${train ? 'Cancel training' : 'Cancel this run'}</button></form>`
    : ''
}`
    : j.state === 'failed'
      ? html`<div class="notice notice-err" role="alert" id="run-error"><p>${j.error ?? 'The run failed.'}</p></div>
<p>${train ? html`No version was registered.${back}` : html`Nothing was saved. <a href="/runs/new">Upload another export</a>.`}</p>`
      : j.state === 'cancelled'
        ? html`<p id="run-cancelled">${
            train
              ? html`Training was cancelled; no version was registered.${back}`
              : html`The run was cancelled; nothing was saved. <a href="/runs/new">Upload an export</a>.`
          }</p>`
        : html`<p>The run finished but was not saved, so it has no page of results.</p>`
}
</section>`;
  return page({
    title: `${what} ${j.id}`,
    body,
    nav: 'runs',
    admin: whoLabel(admin),
    ...(active ? { refreshSeconds: 2 } : {}),
  });
}

// ---- /runs/<id> ----------------------------------------------------------------------------

export interface RunPageOptions {
  admin: AdminView;
  run: RunRecord;
  /** the previous saved run of the same model and the migration from it, if there is one */
  diff: RunDiff | null;
  notice?: Notice;
  /** the lists on the page also hold customers without marketing consent (`?include_unconsented=true`) */
  includeUnconsented?: boolean;
  /** training a new version on this run's upload: possible here, until when the upload is kept, the k to offer */
  retrain?: { available: boolean; until: string | null; keepHours: number; k: number };
}

/**
 * The run's consent fact and the toggle between the two lists (only when the export had a consent
 * column): how many consented, and a plain link, so it works without JavaScript.
 */
function consentFact(r: RunRecord, base: string, include: boolean): SafeHtml | string {
  const a = r.facts.attributes;
  if (!a) return '';
  const c = a.consent;
  const have = html`<dt>Customer details</dt><dd id="fact-attributes">${a.present.join(', ')} (${fmtNumber(a.withEmail)} with an e-mail address)</dd>`;
  if (!c) return have;
  return html`${have}<dt>Marketing consent</dt><dd id="fact-consent"><strong>${fmtNumber(c.yes)}</strong> of ${fmtNumber(r.customers)} customers consented
(${fmtNumber(c.no)} did not, ${fmtNumber(c.unknown)} not known).<br>
<span id="list-mode">${
    include
      ? html`Lists on this page <strong>include customers without consent</strong>. <a href="${base}" id="consent-toggle">Show consented-only lists</a>`
      : html`Lists on this page hold <strong>consented customers only</strong>. <a href="${base}?include_unconsented=true" id="consent-toggle">Include customers without consent</a>`
  }</span></dd>`;
}

const CATALOGUE = new Map(SEGMENT_CATALOGUE.map((s, i) => [s.key, { ...s, rank: i }]));

/** "12 Champions slipped to At Risk, worth 4,120 in last-period spend". */
export function flowSentence(t: KeyTransition): string {
  const a = CATALOGUE.get(t.from)?.rank ?? 0;
  const b = CATALOGUE.get(t.to)?.rank ?? 0;
  const verb = b > a ? 'slipped to' : 'moved up to';
  return `${fmtNumber(t.customers)} ${t.fromName} ${verb} ${t.toName}, worth ${money(t.revenueBefore)} in last-period spend`;
}

/** The movement as chart flows: customers per (from, to) by catalogue name, with last-period revenue. */
export function movementFlows(d: RunDiff): Flow[] {
  return d.byKey.map((t) => ({ from: t.fromName, to: t.toName, customers: t.customers, revenue: t.revenueBefore }));
}

/** Flows worth a marketer's attention: customers who changed segment, the most last-period spend first. */
export function notableFlows(d: RunDiff, n = 5): KeyTransition[] {
  return d.byKey
    .filter((t) => t.from !== t.to)
    .sort((x, y) => y.revenueBefore - x.revenueBefore || y.customers - x.customers)
    .slice(0, n);
}

export function renderRunPage(o: RunPageOptions): string {
  const r = o.run;
  const base = runHref(r.id);
  const include = o.includeUnconsented === true && r.facts.attributes?.consent != null;
  // the toggle travels on every list link, so what is downloaded is what the page says
  const extra = include ? '&include_unconsented=true' : '';
  const summary = [...r.summary].sort((a, b) => b.revenue - a.revenue);
  const revenue = summary.reduce((s, x) => s + x.revenue, 0);
  const dropped = Object.entries(r.rowsDropped).filter(([, n]) => n > 0);
  const body = html`<p class="small"><a href="/runs">← All runs</a></p>
<h1>Run ${r.id}</h1>
${notice(o.notice)}
<section class="card" aria-labelledby="facts-title">
<h2 id="facts-title">At a glance</h2>
<dl class="facts" id="run-facts">
<dt>Customers</dt><dd id="fact-customers">${fmtNumber(r.customers)}</dd>
<dt>Revenue</dt><dd id="fact-revenue">${money(revenue)}</dd>
<dt>Snapshot date</dt><dd id="fact-snapshot">${r.snapshotDate}</dd>
<dt>Model version</dt><dd><a href="${versionHref(r.modelName, r.version)}" id="fact-version">${r.modelName} v${r.version}</a></dd>
<dt>Export</dt><dd><span class="export">${r.exportName}</span> <span class="small muted">(sha256 ${r.exportSha256.slice(0, 12)}…)</span></dd>
<dt>Rows</dt><dd id="fact-rows">${fmtNumber(r.rowsRead)} read; ${
    dropped.length
      ? html`dropped: ${dropped.map(([k, n], i) => html`${i ? ', ' : ''}${k.replace(/_/g, ' ')} ${fmtNumber(n)}`)}`
      : 'none dropped'
  }</dd>
<dt>Scored</dt><dd>${when(r.createdAt)} by ${r.createdBy}</dd>
${consentFact(r, base, include)}
</dl>
<p><a class="button secondary" href="${base}/customers.csv${include ? '?include_unconsented=true' : ''}" id="download-all" download>Download all customers (CSV)</a></p>
</section>
${segmentSection(r, summary, base, extra)}
${driftSection(r.drift)}
${movementSection(o.diff, base, extra)}
${o.retrain ? retrainSection(o, o.retrain, base) : ''}`;
  return page({ title: `Run ${r.id}`, body, nav: 'runs', admin: whoLabel(o.admin) });
}

function retrainSection(o: RunPageOptions, t: NonNullable<RunPageOptions['retrain']>, base: string): SafeHtml {
  const kept =
    t.keepHours > 0
      ? `Uploads are kept for ${fmtNumber(t.keepHours)} hours after their run`
      : 'This server keeps no upload after its run';
  const body = !isAdmin(o.admin)
    ? html`<p class="muted" id="retrain-role">Training a new version needs the admin role; ${o.admin.actor} is a ${o.admin.role}.</p>`
    : !t.available
      ? html`<p class="muted" id="retrain-unavailable">Training a new version from this page is not available on this server (it was not started with
<code>rfm serve</code>). Train on the export with <code>rfm train</code>.</p>`
      : t.until === null
        ? html`<p class="muted" id="retrain-gone">The upload of this run is gone: ${kept}, then deleted. To train on this export, use
<code>rfm train</code> or upload it again.</p>`
        : html`<p id="retrain-until">The upload is kept until ${when(t.until)}: a new version can be trained on it until then. ${kept}.</p>
<form method="post" action="${base}/retrain" id="retrain-form">${csrfField(o.admin)}
<label class="block" for="retrain-k">Number of segments (k)</label>
<select id="retrain-k" name="k"><option value="auto">auto: choose the best k from 3 to 8</option>${Array.from(
            { length: 11 },
            (_, i) => i + 2,
          ).map(
            (k) =>
              html`<option value="${k}"${k === t.k ? raw(' selected') : ''}>${k}${k === t.k ? ` (as v${o.run.version})` : ''}</option>`,
          )}</select>
<p class="small muted">Read with the same columns and date format as this run. The new version is registered as a candidate under your name;
you then see what promoting it would change, and promotion stays a separate step on its version page, where the policy is checked.</p>
<div class="actions"><button type="submit" id="retrain">Train a new version</button></div>
</form>`;
  return html`<section class="card" aria-labelledby="retrain-title" id="retrain-section">
<h2 id="retrain-title">Train a new version on this export</h2>
${body}
</section>`;
}

function segmentSection(r: RunRecord, summary: SegmentSummary[], base: string, extra: string): SafeHtml {
  const med = (v: number | null) => (v === null ? '—' : fmtNumber(v));
  return html`<section class="card" aria-labelledby="segments-title">
<h2 id="segments-title">Segments</h2>
<div class="table-scroll" tabindex="0" role="region" aria-label="Segments of this run"><table class="stack" id="run-segments">
<caption class="visually-hidden">Each segment's customers and revenue in this run, most revenue first</caption>
<thead><tr><th scope="col">Segment</th><th scope="col" class="num">Customers</th><th scope="col" class="num">Share of customers</th>
<th scope="col" class="num">Revenue</th><th scope="col" class="num">Share of revenue</th><th scope="col" class="num">Median R / F / M</th>
<th scope="col">Who they are · what to do</th></tr></thead>
<tbody>${summary.map((s) => {
    const info = CATALOGUE.get(s.key);
    return html`<tr data-segment="${s.segment}" data-cluster="${s.cluster}"><th scope="row"><span
  class="swatch swatch-${s.cluster % 11}" aria-hidden="true"></span>${s.segment}<br><a class="small"
  href="${base}/customers.csv?segment=${enc(s.segment)}${extra}" download>Download list<span class="visually-hidden"> of ${s.segment}</span> (CSV)</a></th>
<td class="num" data-label="Customers">${fmtNumber(s.customers)}</td>
<td class="num" data-label="Share of customers" data-share="${s.customerShare}">${pct(s.customerShare)}</td>
<td class="num" data-label="Revenue">${money(s.revenue)}</td>
<td class="num" data-label="Share of revenue" data-share="${s.revenueShare}">${pct(s.revenueShare)}</td>
<td class="num" data-label="Median R / F / M">${med(s.medianRecency)} d / ${med(s.medianFrequency)} / ${med(s.medianMonetary)}</td>
<td data-label="Who they are">${info?.description ?? ''}<br><span class="small">${info?.action ?? ''}</span></td>
</tr>`;
  })}</tbody></table></div>
<p class="small muted">Revenue = the sum of each customer's spend in the export; median R in days since the last purchase.</p>
<figure class="chart" id="chart-shares"><img src="${base}/charts/shares.svg" width="480" height="${sharesHeight(summary.length)}"
alt="${sharesAlt(summary.map((s) => ({ segment: s.segment, customerShare: s.customerShare, revenueShare: s.revenueShare })))}">
<figcaption>Share of customers beside share of revenue, per segment (the numbers are in the table above).</figcaption></figure>
</section>`;
}

/** How this run's customers differ from the training customers, and whether to retrain (runs/src/drift.ts). */
function driftSection(d: RunRecord['drift']): SafeHtml {
  const head = html`<h2 id="drift-title">Compared with the training customers</h2>`;
  if (!d)
    return html`<section class="card" aria-labelledby="drift-title" id="run-drift">${head}
<p class="muted" id="drift-not-measured">Drift not measured: this run was saved before drift was recorded,
or its version has no stored training customers.</p></section>`;
  const shift = (x: { share: number; trainingShare: number }) =>
    `${x.share >= x.trainingShare ? '+' : '−'}${(Math.abs(x.share - x.trainingShare) * 100).toFixed(1)}`;
  const t = d.thresholds;
  return html`<section class="card" aria-labelledby="drift-title" id="run-drift">${head}
${
  d.retrainAdvised
    ? html`<div class="notice notice-warn" id="retrain-advised"><p><strong>Retraining advised.</strong></p>
<ul>${d.reasons.map((x) => html`<li>${x}</li>`)}</ul></div>`
    : html`<p id="retrain-not-advised">No retraining advised: every figure is within its threshold.</p>`
}
<dl class="facts" id="drift-facts">
<dt>Population stability (PSI)</dt><dd>recency <span id="psi-recency">${d.psi.recency.toFixed(3)}</span>,
frequency <span id="psi-frequency">${d.psi.frequency.toFixed(3)}</span>, monetary <span id="psi-monetary">${d.psi.monetary.toFixed(3)}</span>
<span class="small muted">(threshold ${t.psi}; under 0.1 is stable)</span></dd>
<dt>Outliers</dt><dd id="drift-outliers">${d.outlierRate === null ? 'unknown (version trained before outlier thresholds)' : pct(d.outlierRate)}
<span class="small muted">(about ${pct(d.expectedOutlierRate)} expected; threshold ${pct(t.outlierRate)})</span></dd>
<dt>Training customers</dt><dd>${fmtNumber(d.trainingCustomers)}</dd>
</dl>
<div class="table-scroll" tabindex="0" role="region" aria-label="Segment shares now and at training"><table id="drift-segments">
<caption class="visually-hidden">Each segment's share of customers at training and in this run</caption>
<thead><tr><th scope="col">Segment</th><th scope="col" class="num">Share at training</th><th scope="col" class="num">Share now</th>
<th scope="col" class="num">Change (points; threshold ${(t.shareShift * 100).toFixed(0)})</th></tr></thead>
<tbody>${d.segments.map(
    (
      x,
    ) => html`<tr><th scope="row">${x.segment}</th><td class="num">${pct(x.trainingShare)}</td><td class="num">${pct(x.share)}</td>
<td class="num">${shift(x)}</td></tr>`,
  )}</tbody></table></div>
</section>`;
}

function movementSection(d: RunDiff | null, base: string, extra: string): SafeHtml {
  if (!d)
    return html`<section class="card" aria-labelledby="movement-title"><h2 id="movement-title">Movement</h2>
<p class="muted" id="no-previous">This is the first saved run of this model: movement shows once the next export is scored.</p></section>`;
  const notable = notableFlows(d);
  const link = (t: KeyTransition) =>
    `${base}/moved.csv?against=${enc(d.a.id)}&from=${enc(t.from)}&to=${enc(t.to)}${extra}`;
  return html`<section class="card" aria-labelledby="movement-title">
<h2 id="movement-title">Movement since the previous run</h2>
<p>Compared with <a href="${runHref(d.a.id)}">${d.a.id}</a> (snapshot ${d.a.snapshotDate}, v${d.a.version}):
${fmtNumber(d.totals.inBoth)} customers in both, <strong>${fmtNumber(d.totals.moved)} changed segment</strong>, ${fmtNumber(d.totals.stayed)} stayed;
${fmtNumber(d.totals.appeared)} new, ${fmtNumber(d.totals.disappeared)} not seen again.</p>
${
  notable.length
    ? html`<h3>Notable flows</h3><ul id="notable-flows">${notable.map(
        (t) => html`<li>${flowSentence(t)}. <a href="${link(t)}" download>Download these customers (CSV)</a></li>`,
      )}</ul>`
    : ''
}
<figure class="chart" id="chart-movement"><img src="${base}/charts/movement.svg?against=${enc(d.a.id)}" width="${FLOWS_WIDTH}"
height="${flowsHeight(movementFlows(d))}" alt="Sankey diagram of customers from their segment on ${d.a.snapshotDate} (left) to ${d.b.snapshotDate} (right): ${flowsAlt(
    movementFlows(d),
  )}">
<figcaption>Where each segment's customers went since the previous run; band width = customers. Customers and revenue per flow are in the
table below.</figcaption></figure>
<div class="table-scroll" tabindex="0" role="region" aria-label="Movement between segments"><table class="stack" id="transitions">
<caption>Customers and revenue per flow between segments (segments matched by catalogue name)</caption>
<thead><tr><th scope="col">From</th><th scope="col">To</th><th scope="col" class="num">Customers</th>
<th scope="col" class="num">Revenue before</th><th scope="col" class="num">Revenue now</th></tr></thead>
<tbody>${d.byKey.map(
    (t) => html`<tr data-from="${t.from}" data-to="${t.to}"><th scope="row">${t.fromName}</th>
<td data-label="To">${t.from === t.to ? html`<span class="muted">stayed</span>` : t.toName}</td>
<td class="num" data-label="Customers">${fmtNumber(t.customers)}</td><td class="num" data-label="Revenue before">${money(t.revenueBefore)}</td>
<td class="num" data-label="Revenue now">${money(t.revenueAfter)}</td></tr>`,
  )}</tbody></table></div>
</section>`;
}

import { LIMITS, type ArtifactSegment, type FeatureName } from '@rfm/shared';
import type { LoadedModel } from '../model-holder.js';
import { html, raw, type SafeHtml } from './html.js';
import { page } from './layout.js';
import { explain, fmtNumber } from '../ui/explain.js';

export type FieldName = 'cid' | FeatureName;
export type FormValues = Partial<Record<FieldName, string>>;
export type FormErrors = Partial<Record<FieldName | 'form', string>>;

export interface FormResult {
  cid: string | null;
  cluster: number;
  segment: ArtifactSegment;
  /** the values that were scored, for the comparison with the segment's typical customer */
  features?: { recency: number; frequency: number; monetary: number };
  /** further from the segment's centre than the version's outlier threshold (null: no thresholds) */
  outlier?: boolean | null;
}

export interface FormPageOptions {
  model: LoadedModel | null;
  /** why no model is active, shown to staff when model is null */
  noModelReason?: string;
  values?: FormValues;
  errors?: FormErrors;
  result?: FormResult;
  /** who is signed in as admin, for the top bar */
  admin?: string | null;
  /** a problem with an uploaded file, shown in the "score a file" section */
  fileError?: { message: string; problems?: string[] };
}

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 2 });

interface FieldSpec {
  name: FieldName;
  label: string;
  hint: string;
  unit?: string;
  numeric?: boolean;
  optional?: boolean;
}

// Order as staff read it off a customer record: id, then R, M, F. Built on the first form page,
// not at start-up: the first toLocaleString loads ICU's number data (~60 ms of `rfm serve`'s start).
let fieldSpecs: FieldSpec[] | null = null;
const fields = (): FieldSpec[] => (fieldSpecs ??= buildFields());
const buildFields = (): FieldSpec[] => [
  { name: 'cid', label: 'Customer ID', optional: true, hint: 'Echoed back with the result; up to 64 characters.' },
  {
    name: 'recency',
    label: 'Recency',
    unit: LIMITS.recency.unit,
    hint: `Days since the customer's last purchase, ${fmt(LIMITS.recency.min)} to ${fmt(LIMITS.recency.max)}.`,
    numeric: true,
  },
  {
    name: 'monetary',
    label: 'Monetary',
    unit: LIMITS.monetary.unit,
    hint: `Total amount spent, ${fmt(LIMITS.monetary.min)} to ${fmt(LIMITS.monetary.max)}.`,
    numeric: true,
  },
  {
    name: 'frequency',
    label: 'Frequency',
    unit: LIMITS.frequency.unit,
    hint: `Number of distinct purchases, a whole number from ${fmt(LIMITS.frequency.min)} to ${fmt(LIMITS.frequency.max)}.`,
    numeric: true,
  },
];

function field(f: FieldSpec, value: string | undefined, error: string | undefined): SafeHtml {
  const describedBy = [`${f.name}-hint`, error ? `${f.name}-error` : ''].filter(Boolean).join(' ');
  // type=text + inputmode keeps exactly what was typed (a number input would drop "12abc"), and
  // the server, with the same schema as the API, is the one place that judges the value.
  const input = f.numeric
    ? html`<input id="${f.name}" name="${f.name}" type="text" inputmode="decimal" autocomplete="off" required
        value="${value ?? ''}" aria-describedby="${describedBy}"${error ? html` aria-invalid="true"` : ''}>`
    : html`<input id="${f.name}" name="${f.name}" type="text" maxlength="64" autocomplete="off"
        value="${value ?? ''}" aria-describedby="${describedBy}"${error ? html` aria-invalid="true"` : ''}>`;
  return html`<div class="field" id="field-${f.name}">
  <label for="${f.name}">${f.label}${f.optional ? html` <span class="opt">(optional)</span>` : ''}${
    f.unit
      ? html`
  <span class="opt">(${f.unit})</span>`
      : ''
  }</label>
  ${input}
  <p class="hint" id="${f.name}-hint">${f.hint}</p>
  ${error ? html`<p class="error" id="${f.name}-error">${error}</p>` : ''}
</div>`;
}

/** Where the placement chart of one customer is drawn (server-side SVG, see routes/ui-models.ts). */
const placementAlt = (k: number) =>
  `Chart: recency against money spent for the typical customer of each of the ${k} segments, with this customer ` +
  'marked; the comparison table above gives the same numbers.';

export function placementChartUrl(
  model: LoadedModel,
  f: { recency: number; frequency: number; monetary: number },
): string {
  const q = new URLSearchParams({
    recency: String(f.recency),
    frequency: String(f.frequency),
    monetary: String(f.monetary),
  });
  return `/models/${encodeURIComponent(model.modelName)}/${model.version}/charts/placement.svg?${q}`;
}

const scoreBadges = (s: { r: number; f: number; m: number }) =>
  html`<span class="scores"><span class="score" title="recency score, 5 = most recent">R ${s.r}</span><span class="score" title="frequency score">F
  ${s.f}</span><span class="score" title="monetary score">M ${s.m}</span></span>`;

function resultCard(model: LoadedModel, r: FormResult): SafeHtml {
  const s = r.segment;
  const ex = r.features ? explain(model.artifact, s, r.features) : null;
  return html`<section class="card result seg-${r.cluster % 11}" id="result" data-cluster="${r.cluster}" aria-labelledby="result-title">
  <h2 class="kicker" id="result-title">Segment</h2>
  <p class="segment"><span class="swatch swatch-${r.cluster % 11}" aria-hidden="true"></span><span id="segment-name">${s.name}</span></p>
  ${
    r.outlier
      ? html`<div class="notice notice-warn" id="segment-outlier"><p><strong>Unusual for this segment.</strong> This customer is further
  from the segment's typical customer than ${model.artifact.outliers?.percentile ?? 99}% of the customers it was trained on: the name
  describes customers near its centre, and may not fit these numbers.</p></div>`
      : ''
  }
  <p id="segment-description">${s.description}</p>
  <p class="action" id="segment-action"><strong>Suggested action:</strong> ${s.action}</p>
  ${
    ex
      ? html`<div class="table-scroll" tabindex="0" role="region" aria-label="Compared with the segment's typical customer"><table id="comparison" class="stack">
    <caption>Compared with the segment's typical customer</caption>
    <thead><tr><th scope="col"></th><th scope="col" class="num">This customer</th><th scope="col" class="num">Typical</th>
    <th scope="col">Difference</th></tr></thead>
    <tbody>${ex.rows.map(
      (row) =>
        html`<tr data-feature="${row.feature}"><th scope="row">${row.label}</th>
        <td class="num" data-label="This customer">${fmtNumber(row.customer)}</td><td class="num" data-label="Typical">${fmtNumber(row.typical)}</td>
        <td data-label="Difference">${row.phrase}</td></tr>`,
    )}</tbody>
  </table></div>
  <p class="small muted">RFM scores (1–5, against all training customers): this customer ${scoreBadges(ex.customerScores)} · segment
  ${scoreBadges(ex.segmentScores)}</p>
  <figure class="chart" id="placement">
    <img src="${placementChartUrl(model, r.features!)}" width="480" height="360"
    alt="${placementAlt(model.artifact.k)}">
    <figcaption>Where this customer sits among the segments (recency against money spent; bubble size = segment size).</figcaption>
  </figure>`
      : ''
  }
  <dl class="meta">
    ${r.cid !== null ? html`<div><dt>Customer</dt><dd id="result-cid">${r.cid}</dd></div>` : ''}
    <div><dt>Cluster</dt><dd id="result-cluster">${r.cluster}</dd></div>
    <div><dt>Model</dt><dd id="result-model">${model.modelName} v${model.version}</dd></div>
  </dl>
</section>`;
}

function segmentsTable(model: LoadedModel): SafeHtml {
  const rows = [...model.artifact.segments]
    .sort((a, b) => a.cluster - b.cluster)
    .map(
      (
        s,
      ) => html`<tr><td><span class="swatch swatch-${s.cluster % 11}" aria-hidden="true"></span>${s.name}</td><td>${s.description}</td>
      <td class="num">${fmt(s.size)}</td>
        <td class="num">${fmt(s.centroid.recency)}</td><td class="num">${fmt(s.centroid.frequency)}</td><td class="num">${fmt(s.centroid.monetary)}</td></tr>`,
    );
  return html`<details class="card">
  <summary>The ${model.artifact.k} segments of ${model.modelName} v${model.version}</summary>
  <div class="table-scroll" tabindex="0" role="region" aria-label="The segments of this model"><table>
    <thead><tr><th scope="col">Segment</th><th scope="col">Who they are</th><th scope="col">Customers</th>
      <th scope="col">Typical recency (days)</th><th scope="col">Typical frequency</th><th scope="col">Typical monetary</th></tr></thead>
    <tbody>${rows}</tbody>
  </table></div>
  <p class="small"><a href="/models/${encodeURIComponent(model.modelName)}/${model.version}">Charts and details of v${model.version}</a></p>
</details>`;
}

function scoreFileCard(model: LoadedModel | null, fileError: FormPageOptions['fileError']): SafeHtml {
  return html`<section class="card" id="score-file" aria-labelledby="score-file-title">
  <h2 id="score-file-title">Score a file</h2>
  <p class="muted">Upload a CSV of customers whose first line names the columns <code>cid</code> (optional), <code>recency</code>,
  <code>frequency</code> and <code>monetary</code>
  (or <code>CID, Recency, Frequency, Monetary</code>). You get the same rows back with <code>cluster</code>, <code>segment</code>,
  <code>outlier</code> (true when the customer is far from their segment's centre) and <code>error</code> columns added; a row
  that cannot be scored says why in <code>error</code>.</p>
  ${
    fileError
      ? html`<div class="notice notice-err" role="alert" id="file-error"><p><strong>${fileError.message}</strong></p>${
          fileError.problems?.length ? html`<ul>${fileError.problems.map((p) => html`<li>${p}</li>`)}</ul>` : ''
        }</div>`
      : ''
  }
  <form method="post" action="/score" enctype="multipart/form-data" id="score-form">
    <label class="block" for="file">CSV file <span class="opt">(up to ${MAX_UPLOAD_MB} MB)</span></label>
    <input id="file" name="file" type="file" accept=".csv,text/csv" required aria-describedby="file-hint${fileError ? ' file-error' : ''}">
    <p class="hint" id="file-hint">Other columns are kept as they are. Nothing is stored on the server.</p>
    <div class="actions"><button type="submit"${model ? '' : raw(' disabled')}>Score file and
    download</button><span id="score-status" class="small muted" role="status" aria-live="polite"></span></div>
  </form>
</section>`;
}

/** Largest CSV the upload form accepts (the route enforces it). */
export const MAX_UPLOAD_MB = 20;

export function renderFormPage(o: FormPageOptions): string {
  const values = o.values ?? {};
  const errors = o.errors ?? {};
  const m = o.model;
  const body = html`<h1>Customer segment lookup</h1>
<p class="lead">Enter how recently, how often and how much a customer has bought to see their segment, what it means and what to do next.</p>
${
  m
    ? ''
    : html`<div class="notice notice-warn" role="alert" id="no-model"><strong>No model is
active.</strong> Predictions are unavailable until a model is trained and promoted${o.noModelReason ? html` (${o.noModelReason})` : ''}.</div>`
}
<div id="form-error-slot">${errors.form ? html`<div class="notice notice-err" role="alert" id="form-error">${errors.form}</div>` : ''}</div>
<div class="cols">
<form class="card" method="post" action="/" novalidate aria-labelledby="form-title" id="predict-form"${m ? html` data-model="${m.modelName}"` : ''}>
  <h2 id="form-title">Customer values</h2>
  <div class="grid">${fields().map((f) => field(f, values[f.name], errors[f.name]))}</div>
  <div class="actions"><button type="submit" id="submit">Find segment</button></div>
</form>
<div id="result-region" aria-live="polite">${
    o.result && m
      ? resultCard(m, o.result)
      : html`<section class="card muted" id="result-placeholder"><h2>Segment</h2>
      <p>The customer's segment, what it means, a suggested action and how they compare with the segment's typical customer appear here.</p></section>`
  }</div>
</div>
${scoreFileCard(m, o.fileError)}
${m ? segmentsTable(m) : ''}`;
  return page({
    title: o.result ? `${o.result.segment.name} — segment lookup` : 'Customer segment lookup',
    badge: m ? `Model ${m.modelName} v${m.version}` : 'No model active',
    body,
    nav: 'predict',
    admin: o.admin ?? null,
  });
}

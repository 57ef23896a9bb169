import { LIMITS, type ArtifactSegment, type FeatureName } from '@rfm/shared';
import type { LoadedModel } from '../model-holder.js';
import { html, type SafeHtml } from './html.js';
import { page } from './layout.js';

export type FieldName = 'cid' | FeatureName;
export type FormValues = Partial<Record<FieldName, string>>;
export type FormErrors = Partial<Record<FieldName | 'form', string>>;

export interface FormResult {
  cid: string | null;
  cluster: number;
  segment: ArtifactSegment;
}

export interface FormPageOptions {
  model: LoadedModel | null;
  /** why no model is active, shown to staff when model is null */
  noModelReason?: string;
  values?: FormValues;
  errors?: FormErrors;
  result?: FormResult;
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

// Order as staff read it off a customer record: id, then R, M, F.
const FIELDS: FieldSpec[] = [
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
  <label for="${f.name}">${f.label}${f.optional ? html` <span class="opt">(optional)</span>` : ''}${f.unit ? html` <span class="opt">(${f.unit})</span>` : ''}</label>
  ${input}
  <p class="hint" id="${f.name}-hint">${f.hint}</p>
  ${error ? html`<p class="error" id="${f.name}-error">${error}</p>` : ''}
</div>`;
}

function resultCard(model: LoadedModel, r: FormResult): SafeHtml {
  const s = r.segment;
  return html`<section class="card result" id="result" aria-live="polite" aria-labelledby="result-title">
  <h2 id="result-title">Segment</h2>
  <p class="segment" id="segment-name">${s.name}</p>
  <p id="segment-description">${s.description}</p>
  <p id="segment-action"><strong>Suggested action:</strong> ${s.action}</p>
  <dl>
    ${r.cid !== null ? html`<dt>Customer</dt><dd id="result-cid">${r.cid}</dd>` : ''}
    <dt>Cluster</dt><dd id="result-cluster">${r.cluster}</dd>
    <dt>Model</dt><dd id="result-model">${model.modelName} v${model.version}</dd>
  </dl>
</section>`;
}

function segmentsTable(model: LoadedModel): SafeHtml {
  const rows = [...model.artifact.segments]
    .sort((a, b) => a.cluster - b.cluster)
    .map(
      (s) => html`<tr><td>${s.name}</td><td>${s.description}</td><td class="num">${fmt(s.size)}</td>
        <td class="num">${fmt(s.centroid.recency)}</td><td class="num">${fmt(s.centroid.frequency)}</td><td class="num">${fmt(s.centroid.monetary)}</td></tr>`,
    );
  return html`<details class="card">
  <summary>The ${model.artifact.k} segments of ${model.modelName} v${model.version}</summary>
  <div class="table-scroll"><table>
    <thead><tr><th scope="col">Segment</th><th scope="col">Who they are</th><th scope="col">Customers</th>
      <th scope="col">Typical recency (days)</th><th scope="col">Typical frequency</th><th scope="col">Typical monetary</th></tr></thead>
    <tbody>${rows}</tbody>
  </table></div>
</details>`;
}

export function renderFormPage(o: FormPageOptions): string {
  const values = o.values ?? {};
  const errors = o.errors ?? {};
  const m = o.model;
  const body = html`<h1>Customer segment lookup</h1>
<p class="lead">Enter how recently, how often and how much a customer has bought to see their segment and what to do next.</p>
${m ? '' : html`<div class="notice notice-warn" role="alert" id="no-model"><strong>No model is active.</strong> Predictions are unavailable until a model is trained and promoted${o.noModelReason ? html` (${o.noModelReason})` : ''}.</div>`}
${errors.form ? html`<div class="notice notice-err" role="alert" id="form-error">${errors.form}</div>` : ''}
${o.result && m ? resultCard(m, o.result) : ''}
<form class="card" method="post" action="/" novalidate aria-label="Customer values">
  <div class="grid">${FIELDS.map((f) => field(f, values[f.name], errors[f.name]))}</div>
  <div class="actions"><button type="submit">Find segment</button></div>
</form>
${m ? segmentsTable(m) : ''}`;
  return page({ title: o.result ? `${o.result.segment.name} — segment lookup` : 'Customer segment lookup', badge: m ? `Model ${m.modelName} v${m.version}` : 'No model active', body });
}

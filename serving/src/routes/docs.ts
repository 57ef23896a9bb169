import { Router } from 'express';
import { html, type SafeHtml } from '../views/html.js';
import { page } from '../views/layout.js';
import type { BodyDoc } from '../openapi/document.js';

// The document (zod-to-openapi and ~1,300 lines of schemas and examples: about a third of a second
// of module loading on a loaded 2-core machine) loads on the first request for it, not at start-up.
type OpenApiModule = typeof import('../openapi/document.js');
let openapi: Promise<OpenApiModule> | null = null;
const openapiModule = () => (openapi ??= import('../openapi/document.js'));

/**
 * GET /openapi.json (the OpenAPI 3.1 document) and GET /docs (the same, readable: every route
 * with its parameters, bodies and examples, then the schemas). Server-rendered HTML with the UI's
 * own stylesheet; no CDN, no script.
 */
export function docsRoutes(): Router {
  const router = Router();
  router.get('/openapi.json', async (_req, res) => {
    const { openApiDocument } = await openapiModule();
    res.set('cache-control', 'no-cache').json(openApiDocument());
  });
  let rendered: string | null = null;
  router.get('/docs', async (_req, res) => {
    rendered ??= renderDocs(await openapiModule());
    res.type('html').set('cache-control', 'no-cache').send(rendered);
  });
  return router;
}

/**
 * Code wider than a phone scrolls sideways inside its box (rfm.css): focusable and named, so a
 * keyboard user can reach and scroll it too.
 */
const scrollablePre = (label: string, text: string) =>
  html`<pre tabindex="0" role="region" aria-label="${label}"><code>${text}</code></pre>`;

const pretty = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));

function examples(b: BodyDoc | undefined): SafeHtml | string {
  if (!b) return '';
  const list = Object.entries(b.examples);
  return html`<p class="hint">Content type <code>${b.contentType}</code>${b.schema ? '' : ''}</p>${list.map(
    ([name, e]) =>
      html`<details><summary>Example: ${e.summary ?? name}</summary>${scrollablePre(`Example: ${e.summary ?? name}`, pretty(e.value))}</details>`,
  )}`;
}

function renderDocs({ openApiDocument, OPERATIONS }: OpenApiModule): string {
  const doc = openApiDocument();
  const tags = doc.tags ?? [];
  const body = html`<h1>rfm API</h1>
<p class="lead">Generated from the zod schemas the server validates with. Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).
Errors are always <code>{"error": {"code", "message", "issues"}}</code>; the code fixes the HTTP status.</p>
<nav class="card" aria-label="Routes"><h2>Routes</h2><ul>${OPERATIONS.map(
    (op) =>
      html`<li><a href="#${anchor(op.method, op.path)}"><code>${op.method.toUpperCase()} ${op.path}</code></a> —
      ${op.summary}${op.admin ? ' (admin token)' : ''}</li>`,
  )}</ul></nav>
${tags.map(
  (t) => html`<section><h2>${t.name}</h2><p class="lead">${t.description ?? ''}</p>
${OPERATIONS.filter((op) => op.tag === t.name).map((op) => {
  const generated = (
    doc.paths?.[op.path] as
      | Record<
          string,
          { parameters?: { name: string; in: string; required?: boolean; schema?: unknown; description?: string }[] }
        >
      | undefined
  )?.[op.method];
  const params = generated?.parameters ?? [];
  return html`<article class="card" id="${anchor(op.method, op.path)}">
<h3><code>${op.method.toUpperCase()} ${op.path}</code></h3>
<p><strong>${op.summary}.</strong> ${op.description}</p>
${op.admin ? html`<p class="hint">Needs <code>Authorization: Bearer &lt;RFM_ADMIN_TOKEN&gt;</code>.</p>` : ''}
${
  params.length
    ? // a phone scrolls this table sideways: focusable and named, so the keyboard can scroll it too
      html`<div class="table-scroll" tabindex="0" role="region" aria-label="Parameters of ${op.method.toUpperCase()} ${op.path}">
<table><thead><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr></thead>
<tbody>${params.map(
        (p) => html`<tr><td><code>${p.name}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : 'no'}</td>
<td><code>${JSON.stringify(p.schema)}</code></td></tr>`,
      )}</tbody></table></div>`
    : ''
}
${op.request ? html`<h4>Request body</h4>${examples(op.request)}` : ''}
<h4>Responses</h4>
${Object.entries(op.responses).map(([status, r]) => html`<p><strong>${status}</strong> ${r.description}</p>${examples(r.body)}`)}
</article>`;
})}</section>`,
)}
<section><h2>Schemas</h2>${Object.entries(doc.components?.schemas ?? {}).map(
    ([name, s]) =>
      html`<details class="card" id="schema-${name}"><summary>${name}</summary>${scrollablePre(`Schema ${name}`, JSON.stringify(s, null, 2))}</details>`,
  )}</section>`;
  return page({ title: 'API', body });
}

function anchor(method: string, path: string): string {
  return `${method}-${path.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
}

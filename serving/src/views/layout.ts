import { createHash } from 'node:crypto';
import { html, raw, type SafeHtml } from './html.js';

/** All styling, inline (no CDN, works offline); allowed by CSP through its hash, not 'unsafe-inline'. */
const CSS = `
:root{--bg:#f6f7f9;--card:#fff;--text:#1c2430;--muted:#5b6675;--line:#d9dee5;--accent:#1f5fbf;--accent-ink:#fff;
--err:#b42318;--err-bg:#fef3f2;--warn:#8a5a00;--warn-bg:#fff8e6;--ok-bg:#eef6ff;--radius:10px}
@media (prefers-color-scheme:dark){:root{--bg:#12161c;--card:#1b2129;--text:#e6eaf0;--muted:#a3adba;--line:#2f3844;
--accent:#6ea8ff;--accent-ink:#0b1220;--err:#ff8a80;--err-bg:#2a1715;--warn:#f5c76b;--warn-bg:#2a2312;--ok-bg:#16263b}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
.wrap{max-width:56rem;margin:0 auto;padding:0 1rem}
header.top{background:var(--card);border-bottom:1px solid var(--line)}
header.top .wrap{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between;padding-top:.75rem;padding-bottom:.75rem}
.brand{font-weight:700;letter-spacing:.02em}
.badge{font-size:.875rem;color:var(--muted);border:1px solid var(--line);border-radius:999px;padding:.15rem .7rem}
main{padding:1.5rem 0 3rem}
h1{font-size:1.6rem;line-height:1.25;margin:.25rem 0 .5rem}
h2{font-size:1.2rem;margin:0 0 .5rem}
.lead{color:var(--muted);margin:0 0 1.25rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:var(--radius);padding:1.25rem;margin:0 0 1.25rem}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:1rem 1.25rem}
@media (max-width:40rem){.grid{grid-template-columns:1fr}h1{font-size:1.35rem}}
.field label{display:block;font-weight:600;margin-bottom:.25rem}
.opt{font-weight:400;color:var(--muted)}
input{font:inherit;color:inherit;background:var(--card);width:100%;padding:.55rem .7rem;border:1px solid var(--line);border-radius:8px}
input:focus-visible,button:focus-visible,summary:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
input[aria-invalid=true]{border-color:var(--err)}
.hint{margin:.3rem 0 0;font-size:.85rem;color:var(--muted)}
.error{margin:.3rem 0 0;font-size:.9rem;color:var(--err);font-weight:600}
.actions{margin-top:1.25rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
button{font:inherit;font-weight:600;background:var(--accent);color:var(--accent-ink);border:0;border-radius:8px;padding:.6rem 1.2rem;cursor:pointer}
.notice{border-radius:var(--radius);padding:.85rem 1rem;margin:0 0 1.25rem;border:1px solid}
.notice-warn{background:var(--warn-bg);border-color:var(--warn);color:var(--text)}
.notice-err{background:var(--err-bg);border-color:var(--err);color:var(--text)}
.result{background:var(--ok-bg)}
.result .segment{font-size:1.5rem;font-weight:700;margin:0 0 .35rem}
.result dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.75rem 0 0;font-size:.95rem}
.result dt{color:var(--muted)}
.result dd{margin:0}
table{width:100%;border-collapse:collapse;font-size:.92rem}
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.table-scroll{overflow-x:auto}
summary{cursor:pointer;font-weight:600}
footer{color:var(--muted);font-size:.85rem;padding:1rem 0 2rem}
footer a{color:var(--accent)}
`.trim();

/** The CSP source for the inline stylesheet above. */
export const STYLE_HASH = `'sha256-${createHash('sha256').update(CSS).digest('base64')}'`;

export interface PageOptions {
  title: string;
  /** right-hand side of the top bar, e.g. the active model */
  badge?: string | SafeHtml | undefined;
  body: SafeHtml;
}

export function page(o: PageOptions): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · rfm</title>
<style>${raw(CSS)}</style>
</head>
<body>
<header class="top"><div class="wrap"><span class="brand">rfm · customer segments</span>${o.badge ? html`<span class="badge" id="model-badge">${o.badge}</span>` : ''}</div></header>
<main class="wrap" id="main">
${o.body}
</main>
<footer class="wrap">JSON API: <code>POST /api/v1/predict</code> · model details: <a href="/api/v1/model">/api/v1/model</a></footer>
</body>
</html>
`.value;
}

/** A small page for errors and unknown routes (browsers get this instead of JSON). */
export function messagePage(title: string, message: string): string {
  return page({ title, body: html`<h1>${title}</h1><div class="notice notice-err" role="alert">${message}</div><p><a href="/">Back to the segment lookup</a></p>` });
}

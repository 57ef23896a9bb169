import { html, raw, type SafeHtml } from './html.js';
import { assetUrl } from '../ui/assets.js';

/**
 * Every page shares this frame: skip link, top bar with navigation and the active model, one
 * stylesheet and one small script, both served by rfm itself from /assets/ (see ui/assets.ts), so
 * the CSP can stay `style-src 'self'; script-src 'self'` with nothing inline.
 */
export type NavKey = 'predict' | 'models' | 'runs' | 'admin';

const NAV: { key: NavKey; href: string; label: string }[] = [
  { key: 'predict', href: '/', label: 'Segment lookup' },
  { key: 'models', href: '/models', label: 'Models' },
  { key: 'runs', href: '/runs', label: 'Runs' },
  { key: 'admin', href: '/admin', label: 'Admin' },
];

export interface PageOptions {
  title: string;
  /** right-hand side of the top bar, e.g. the active model */
  badge?: string | SafeHtml | undefined;
  body: SafeHtml;
  /** which navigation entry is the current page */
  nav?: NavKey;
  /** who is signed in, e.g. "ana (viewer)" (shown in the bar), if anyone */
  admin?: string | null;
  /** reload the page every n seconds when scripts are off (a run's status page; with scripts, rfm.js polls) */
  refreshSeconds?: number;
}

export function page(o: PageOptions): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · rfm</title>
<link rel="stylesheet" href="${assetUrl('rfm.css')}">
<link rel="icon" href="${assetUrl('favicon.svg')}" type="image/svg+xml">
<script src="${assetUrl('rfm.js')}" defer></script>
${o.refreshSeconds ? html`<noscript><meta http-equiv="refresh" content="${o.refreshSeconds}"></noscript>` : ''}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><div class="wrap">
<a class="brand" href="/">rfm <span>·</span> customer segments</a>
<nav class="main" aria-label="Main"><ul>${NAV.map(
    (n) =>
      html`<li><a href="${n.href}"${o.nav === n.key ? raw(' aria-current="page"') : ''}>${
        n.key === 'admin' ? (o.admin ? html`Signed in: <span id="who">${o.admin}</span>` : 'Sign in') : n.label
      }</a></li>`,
  )}</ul></nav>
${o.badge ? html`<span class="badge" id="model-badge">${o.badge}</span>` : ''}
</div></header>
<main class="wrap" id="main">
${o.body}
</main>
<footer class="wrap">JSON API: <code>POST /api/v1/predict</code> · active model: <a href="/api/v1/model">/api/v1/model</a> · all versions:
<a href="/models">/models</a></footer>
</body>
</html>
`.value;
}

/** A small page for errors and unknown routes (browsers get this instead of JSON). */
export function messagePage(title: string, message: string): string {
  return page({
    title,
    body: html`<h1>${title}</h1><div class="notice notice-err" role="alert">${message}</div><p><a href="/">Back to the segment lookup</a></p>`,
  });
}

import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { makeArtifact } from '@rfm/shared/testing';
import { Registry } from '@rfm/registry';
import { customers, savedRunInput } from '@rfm/runs/testing';
import { expectAccessible } from './axe.js';
import { screenshot } from './browser.js';
import { browserSuite } from './suite.js';

/**
 * Accessibility audit of every page the server renders for people, in real Chromium at desktop
 * width and at a 390 px phone width: zero WCAG 2 A/AA violations from axe-core. Pages are audited
 * in the states a person sees them: empty, with a result, with field errors, signed out and signed
 * in (admin forms shown), signed in as a viewer (RFM_READ_TOKEN: notes where admin actions would be),
 * and the error page.
 */
const MODEL = 'customer-segments';
const TOKEN = 'a11y-test-admin-token-0123456789-abcdef';
const VIEWER_TOKEN = 'a11y-test-viewer-token-0123456789-abcdef';
let runId = ''; // the saved run the viewer's run page shows (seeded)
const REPORT =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Training report v1</title></head>' +
  '<body><main><h1>Training report v1</h1><p>k = 4</p></main></body></html>';

/** Signs in through the form; lands on the models list with its "signed in" notice. */
async function signIn(p: Page): Promise<void> {
  await p.goto('/admin?next=/models');
  await p.getByLabel('Your token').fill(TOKEN);
  await Promise.all([p.waitForURL(/\/models\?done=signed-in$/), p.getByRole('button', { name: 'Sign in' }).click()]);
}

/** Signs in as the viewer `reader` (RFM_READ_TOKEN) and opens `path`. */
async function viewerOpens(p: Page, path: string, landmark: string): Promise<void> {
  await p.goto(`/admin?next=${encodeURIComponent(path)}`);
  await p.getByLabel('Your token').fill(VIEWER_TOKEN);
  await Promise.all([p.waitForURL((u) => u.pathname === path), p.getByRole('button', { name: 'Sign in' }).click()]);
  await p.locator(landmark).waitFor({ timeout: 10_000 });
  expect(await p.locator('#who').textContent()).to.equal('reader (viewer)');
}

async function fillForm(p: Page, recency: string, monetary: string, frequency: string): Promise<void> {
  await p.goto('/');
  await p.getByLabel('Recency').fill(recency);
  await p.getByLabel('Monetary').fill(monetary);
  await p.getByLabel('Frequency').fill(frequency);
  await p.getByRole('button', { name: 'Find segment' }).click();
}

/**
 * Each page in the state to audit. `js: false`: the page's own script is not loaded, so forms post
 * as they do without JavaScript (axe itself still runs: it is evaluated through the DevTools
 * protocol, which a context with JavaScript switched off would not answer).
 */
const PAGES: { name: string; js?: boolean; shot?: string; open: (p: Page) => Promise<unknown> }[] = [
  { name: 'segment lookup form (/)', open: (p) => p.goto('/') },
  {
    name: 'segment lookup with a result (/)',
    open: async (p) => {
      await fillForm(p, '12', '830', '6');
      await p.locator('#result #segment-name').waitFor({ timeout: 10_000 });
    },
  },
  {
    name: 'segment lookup with field errors (/)',
    open: async (p) => {
      await fillForm(p, '12', '10', '2.5');
      await p.locator('#frequency-error').waitFor({ timeout: 10_000 });
    },
  },
  {
    name: 'segment lookup answer without JavaScript (POST /)',
    js: false,
    open: async (p) => {
      await fillForm(p, '200', '90', '1');
      await p.locator('#segment-name').waitFor({ timeout: 10_000 });
    },
  },
  {
    name: 'segment lookup field errors without JavaScript (POST /)',
    js: false,
    open: async (p) => {
      await fillForm(p, '12', '10', '2.5');
      await p.locator('#frequency-error').waitFor({ timeout: 10_000 });
    },
  },
  { name: 'API docs (/docs)', open: (p) => p.goto('/docs') },
  {
    name: 'API docs with every example and schema open (/docs)',
    open: async (p) => {
      await p.goto('/docs');
      await p.locator('details').evaluateAll((ds) => {
        for (const d of ds) (d as HTMLDetailsElement).open = true;
      });
    },
  },
  { name: 'models list (/models)', open: (p) => p.goto('/models') },
  { name: 'version page (/models/:name/:v)', open: (p) => p.goto(`/models/${MODEL}/1`) },
  { name: 'compare page (/models/:name/compare)', open: (p) => p.goto(`/models/${MODEL}/compare?a=1&b=2`) },
  { name: 'compare page with a bad version (404)', open: (p) => p.goto(`/models/${MODEL}/compare?a=1&b=99`) },
  { name: 'training report (/models/:name/:v/report)', open: (p) => p.goto(`/models/${MODEL}/1/report`) },
  { name: 'admin sign-in (/admin)', open: (p) => p.goto('/admin?next=/models') },
  {
    name: 'admin sign-in refused (POST /admin/login)',
    open: async (p) => {
      await p.goto('/admin');
      await p.getByLabel('Your token').fill('not-the-token-at-all');
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.locator('#login-error').waitFor({ timeout: 10_000 });
    },
  },
  {
    name: 'admin page, signed in (/admin)',
    open: async (p) => {
      await signIn(p);
      await p.goto('/admin');
      await p.locator('#signed-in').waitFor({ timeout: 10_000 });
    },
  },
  {
    name: 'version page, signed in (promote, relabel forms)',
    open: async (p) => {
      await signIn(p);
      await p.goto(`/models/${MODEL}/2`);
    },
  },
  { name: 'models list, signed in (with its notice)', open: signIn },
  { name: 'not-found page', open: (p) => p.goto(`/models/${MODEL}/99`) },
  {
    name: 'runs list, as a viewer (/runs)',
    shot: 'a11y-viewer-runs',
    open: (p) => viewerOpens(p, '/runs', `a[href="/runs/${runId}"]`),
  },
  {
    name: 'run page, as a viewer (training needs the admin role)',
    shot: 'a11y-viewer-run',
    open: async (p) => {
      await viewerOpens(p, `/runs/${runId}`, '#retrain-role');
      expect(await p.locator('#retrain-role').textContent()).to.equal(
        'Training a new version needs the admin role; reader is a viewer.',
      );
      expect(await p.locator('#retrain-form').count()).to.equal(0);
    },
  },
  {
    name: 'version page, as a viewer (a note instead of admin actions)',
    shot: 'a11y-viewer-version',
    open: async (p) => {
      await viewerOpens(p, `/models/${MODEL}/2`, '#admin-hint');
      expect(await p.locator('#admin-hint').textContent()).to.include('needs the admin role;\nreader is a viewer.');
      expect(await p.locator('form[action$="/promote"]').count()).to.equal(0);
    },
  },
];

describe('browser: accessibility (axe-core, WCAG 2 A/AA) of every page, desktop and phone', function () {
  this.timeout(120_000);
  const suite = browserSuite({
    prefix: 'rfm-a11y-',
    config: { adminToken: TOKEN, readToken: VIEWER_TOKEN },
    seed: async (registry) => {
      const reg = await Registry.open(registry);
      const artifact = makeArtifact();
      await reg.register({ modelName: MODEL, artifact, actor: 'analyst@example', report: REPORT });
      await reg.promote(MODEL, 1, { actor: 'analyst@example', reason: 'first model' });
      await reg.register({ modelName: MODEL, artifact: makeArtifact({ seed: 7 }), actor: 'analyst@example' });
      const ids = ['c-001', 'c-002', 'c-003', 'c-004', 'c-005', 'c-006'];
      const segments = artifact.segments;
      const scored = customers(
        ids,
        ids.map((_, i) => segments[i % segments.length]!.cluster),
        [900, 40, 310, 75, 1200, 20],
      );
      runId = (await reg.saveRun(savedRunInput(scored, '2026-11-30', segments, MODEL), 'web:admin')).id;
      await reg.close();
    },
    start: (dir) => ({ runs: { tempRoot: dir } }),
  });

  for (const phone of [false, true])
    for (const pg of PAGES)
      it(`${pg.name} at ${phone ? '390 px (phone)' : '1280 px (desktop)'}`, async () => {
        const w = await suite.page({ phone });
        if (pg.js === false) await w.context.route('**/assets/*.js', (r) => r.abort());
        await pg.open(w.page);
        expect(await w.page.locator('h1').count(), 'the page rendered a heading').to.be.at.least(1);
        await expectAccessible(w.page, `${pg.name} at ${phone ? '390' : '1280'} px`);
        if (pg.shot) await screenshot(w.page, `${pg.shot}-${phone ? 'phone' : 'desktop'}`);
        await w.context.close();
      });
});

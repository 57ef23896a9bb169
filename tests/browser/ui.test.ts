import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { hashToken, Predictor, writeUsersFile, type ArtifactV1 } from '@rfm/shared';
import { makeArtifact } from '@rfm/shared/testing';
import { Registry } from '@rfm/registry';
import { waitFor } from '../support.js';
import { screenshot } from './browser.js';
import { browserSuite } from './suite.js';

/**
 * The web UI in real Chromium against a real server (in-process, port 0) and a real registry:
 * the segment lookup with and without JavaScript, keyboard only, field errors, file scoring,
 * the models pages with their charts, and admin actions that move what the lookup answers with.
 * Screenshots of every page, desktop and phone, go to test-artifacts/screenshots/ (not committed).
 */
const MODEL = 'customer-segments';
const TOKEN = 'browser-test-admin-token-0123456789';
const VIEWER = 'browser-test-viewer-token-0123456789-vera';

/** with outlier thresholds, so the form's notice for a customer far from their segment shows */
const V1: ArtifactV1 = {
  ...makeArtifact({ note: 'online_retail_2011-10.csv.gz' }),
  outliers: { percentile: 99, distance: [0.9, 0.9, 0.9, 0.9] },
};
const V2 = makeArtifact({
  note: 'online_retail_2011-11.csv.gz',
  centroids: [
    [-1.3, 1.2, 1.3],
    [1.4, -1.0, -1.1],
    [-0.7, -0.4, -0.3],
    [0.5, 0.5, 0.6],
    [0.2, -0.9, -0.7],
  ],
});
/** clusters too poorly separated for the promotion policy (min silhouette 0.2) */
const V3: ArtifactV1 = {
  ...makeArtifact({ note: 'online_retail_2011-12.csv.gz', seed: 7 }),
  metrics: { ...makeArtifact().metrics, silhouette: 0.05 },
};
const REPORT =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Training report v1</title><style>h1{color:#1f5fbf}</style></head><body><h1>Training report v1</h1><p>k = 4</p></body></html>';

const expected = (a: ArtifactV1, r: number, f: number, m: number) => {
  const p = new Predictor(a);
  const cluster = p.predict(r, f, m);
  return { ...a.segments.find((s) => s.cluster === cluster)!, outlier: p.outlier(r, f, m, cluster) };
};

async function fillForm(page: Page, v: { cid?: string; recency: string; monetary: string; frequency: string }) {
  await page.getByLabel('Customer ID').fill(v.cid ?? '');
  await page.getByLabel('Recency').fill(v.recency);
  await page.getByLabel('Monetary').fill(v.monetary);
  await page.getByLabel('Frequency').fill(v.frequency);
}

describe('browser: the web UI in Chromium', function () {
  this.timeout(120_000);
  const suite = browserSuite({
    prefix: 'rfm-browser-',
    // a viewer of the users file, besides the env admin token (person "admin")
    config: (dir) => ({ adminToken: TOKEN, pollMs: 50, users: join(dir, 'users.json') }),
    seed: async (registry, dir) => {
      const at = new Date().toISOString();
      writeUsersFile(join(dir, 'users.json'), [
        { name: 'vera', role: 'viewer', token_sha256: hashToken(VIEWER), created: at, rotated: null },
      ]);
      const reg = await Registry.open(registry);
      await reg.register({
        modelName: MODEL,
        artifact: V1,
        actor: 'analyst@example',
        report: REPORT,
        reason: 'first model',
      });
      await reg.register({
        modelName: MODEL,
        artifact: V2,
        actor: 'analyst@example',
        description: 'November export, 5 segments',
      });
      await reg.register({ modelName: MODEL, artifact: V3, actor: 'analyst@example' });
      await reg.close();
    },
  });
  /** a fresh page; `clean`: no problem recorded, except answers the test itself provoked (e.g. a 400 page, a download) */
  const { page, clean, registry } = suite;
  const users = () => join(suite.dir, 'users.json');
  const status = (...codes: number[]) =>
    codes.map((c) => new RegExp(`^console: Failed to load resource: the server responded with a status of ${c} `));

  describe('segment lookup (/)', () => {
    it('with JavaScript: fill, submit, read the segment, its explanation, chart and model version — without a page reload', async () => {
      const w = await page();
      const { page: p } = w;
      await p.goto('/');
      await expect(await p.getAttribute('html', 'data-enhanced')).to.equal('true');
      await expect(await p.getAttribute('html', 'lang')).to.equal('en');
      await p.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
      await fillForm(p, { cid: 'C-1001', recency: '12', monetary: '830.50', frequency: '4' });
      await p.getByRole('button', { name: 'Find segment' }).click();
      const seg = expected(V1, 12, 4, 830.5);
      await p.locator('#result #segment-name').waitFor();
      expect(await p.locator('#segment-name').textContent()).to.equal(seg.name);
      expect(await p.locator('#segment-description').textContent()).to.equal(seg.description);
      expect(await p.locator('#segment-action').textContent()).to.include(seg.action);
      expect(await p.locator('#result-model').textContent()).to.equal(`${MODEL} v1`);
      expect(await p.locator('#result-cid').textContent()).to.equal('C-1001');
      expect(await p.locator('#comparison tbody tr').count()).to.equal(3);
      expect(await p.locator('#result-region').getAttribute('aria-live')).to.equal('polite');
      expect(await p.evaluate(() => (window as unknown as { marker?: number }).marker)).to.equal(42); // same document: no reload
      const img = p.locator('#placement img');
      await img.waitFor();
      await waitFor(
        async () => ((await img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)) ? true : undefined),
        5000,
      );
      expect(await img.evaluate((i: HTMLImageElement) => i.naturalWidth)).to.be.greaterThan(100);
      await screenshot(p, 'predict-result-js-desktop');
      clean(w);
    });

    it('with JavaScript: an invalid value shows the server schema message next to that field', async () => {
      const w = await page();
      const { page: p } = w;
      await p.goto('/');
      await fillForm(p, { recency: '-5', monetary: 'lots', frequency: '2' });
      await p.getByRole('button', { name: 'Find segment' }).click();
      const err = p.locator('#field-recency #recency-error');
      await err.waitFor();
      expect(await err.textContent()).to.match(/recency must be at least 0/);
      expect(await p.locator('#field-monetary #monetary-error').textContent()).to.match(/monetary must be a number/);
      expect(await p.locator('#frequency-error').count()).to.equal(0);
      expect(await p.getByLabel('Recency').getAttribute('aria-invalid')).to.equal('true');
      expect(await p.getByLabel('Recency').getAttribute('aria-describedby')).to.equal('recency-hint recency-error');
      expect(await p.evaluate(() => document.activeElement?.id)).to.equal('recency'); // focus moves to the first problem
      await screenshot(p, 'predict-errors-js-desktop');
      // fixing it clears the messages and shows the segment
      await p.getByLabel('Recency').fill('30');
      await p.getByLabel('Monetary').fill('120');
      await p.getByRole('button', { name: 'Find segment' }).click();
      await p.locator('#result #segment-name').waitFor();
      expect(await p.locator('.error').count()).to.equal(0);
      expect(await p.locator('#segment-name').textContent()).to.equal(expected(V1, 30, 2, 120).name);
      clean(w, status(400));
    });

    it('with JavaScript off: the plain form post gives the same answer, and errors sit next to their fields', async () => {
      const w = await page({ javaScriptEnabled: false });
      const { page: p } = w;
      await p.goto('/');
      expect(await p.getAttribute('html', 'data-enhanced')).to.equal(null);
      await fillForm(p, { cid: 'C-2002', recency: '200', monetary: '90', frequency: '1' });
      await Promise.all([
        p.waitForURL(`${suite.server.url}/`),
        p.getByRole('button', { name: 'Find segment' }).click(),
      ]);
      const seg = expected(V1, 200, 1, 90);
      expect(await p.locator('#segment-name').textContent()).to.equal(seg.name);
      expect(await p.locator('#result-model').textContent()).to.equal(`${MODEL} v1`);
      expect(await p.getByLabel('Recency').inputValue()).to.equal('200'); // typed values kept
      const img = p.locator('#placement img');
      expect(await img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).to.be.greaterThan(100);
      await screenshot(p, 'predict-result-nojs-desktop');
      await fillForm(p, { recency: '12', monetary: '10', frequency: '2.5' });
      await p.getByRole('button', { name: 'Find segment' }).click();
      await p.locator('#frequency-error').waitFor();
      expect(await p.locator('#field-frequency #frequency-error').textContent()).to.match(/whole number/);
      expect(await p.locator('#result').count()).to.equal(0);
      await screenshot(p, 'predict-errors-nojs-desktop');
      clean(w, status(400));
    });

    it('keyboard only: Tab to each field, type, Enter submits; focus is always visible', async () => {
      const w = await page();
      const { page: p } = w;
      await p.goto('/');
      // from the top of the page: skip link first, then the form is reachable by Tab alone
      await p.keyboard.press('Tab');
      expect(await p.evaluate(() => document.activeElement?.textContent)).to.equal('Skip to content');
      let guard = 0;
      while ((await p.evaluate(() => document.activeElement?.id)) !== 'cid' && guard++ < 20)
        await p.keyboard.press('Tab');
      expect(await p.evaluate(() => document.activeElement?.id)).to.equal('cid');
      const outline = await p.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      expect(outline).to.not.equal('none');
      await p.keyboard.type('K-7');
      for (const [id, value] of [
        ['recency', '3'],
        ['monetary', '5400'],
        ['frequency', '14'],
      ] as const) {
        await p.keyboard.press('Tab'); // past the hint text (not focusable) to the next input
        expect(await p.evaluate(() => document.activeElement?.id)).to.equal(id);
        await p.keyboard.type(value);
      }
      await p.keyboard.press('Enter');
      await p.locator('#result #segment-name').waitFor();
      expect(await p.locator('#segment-name').textContent()).to.equal(expected(V1, 3, 14, 5400).name);
      expect(await p.locator('#result-cid').textContent()).to.equal('K-7');
      await p.keyboard.press('Tab');
      expect(await p.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).to.not.equal('none');
      clean(w);
    });

    it('a customer far from their segment: the same notice with JavaScript and without, none for a customer near it', async () => {
      const far = expected(V1, 325, 1, 77183.6);
      expect(far.outlier, 'the fixture flags one £77,183.60 order 325 days ago').to.equal(true);
      const notices: string[] = [];
      for (const javaScriptEnabled of [true, false]) {
        const w = await page({ javaScriptEnabled });
        const { page: p } = w;
        await p.goto('/');
        await fillForm(p, { cid: '12346', recency: '325', monetary: '77183.6', frequency: '1' });
        await p.getByRole('button', { name: 'Find segment' }).click();
        await p.locator('#result #segment-name').waitFor();
        expect(await p.locator('#segment-name').textContent()).to.equal(far.name);
        const notice = p.locator('#result #segment-outlier');
        await notice.waitFor();
        notices.push((await notice.innerText()).replace(/\s+/g, ' ').trim());
        clean(w);
      }
      expect(notices[0]).to.match(
        /^Unusual for this segment\. This customer is further from the segment's typical customer than 99% /,
      );
      expect(notices[1]).to.equal(notices[0]);
      const w = await page();
      const { page: p } = w;
      await p.goto('/');
      // a customer the rule does not flag, found on a grid
      const grid = [1, 3, 10, 30, 100, 300].flatMap((r) =>
        [1, 2, 5, 20].flatMap((f) => [20, 300, 3000, 30_000].map((m) => [r, f, m] as const)),
      );
      const [r, f, m] = grid.find(([r, f, m]) => expected(V1, r, f, m).outlier === false)!;
      await fillForm(p, { recency: String(r), monetary: String(m), frequency: String(f) });
      await p.getByRole('button', { name: 'Find segment' }).click();
      await p.locator('#result #segment-name').waitFor();
      expect(await p.locator('#segment-outlier').count()).to.equal(0);
      clean(w);
    });

    it('on a phone: the form and the result fit the screen width', async () => {
      const w = await page({ phone: true });
      const { page: p } = w;
      await p.goto('/');
      await screenshot(p, 'predict-empty-phone');
      await fillForm(p, { cid: 'M-1', recency: '45', monetary: '1900', frequency: '6' });
      await p.getByRole('button', { name: 'Find segment' }).tap();
      await p.locator('#result #segment-name').waitFor();
      await p
        .locator('#placement img')
        .evaluate((i: HTMLImageElement) => (i.complete ? null : new Promise((r) => (i.onload = r))));
      const overflow = (await p.evaluate(() => document.documentElement.scrollWidth)) - p.viewportSize()!.width; // the phone's 390 px, not a widened layout viewport
      expect(overflow, 'horizontal scroll on a phone').to.be.at.most(0);
      await screenshot(p, 'predict-result-phone');
      clean(w);
    });
  });

  describe('score a file', () => {
    const csv = [
      'CID,Recency,Frequency,Monetary,region',
      '12346,325,1,77183.6,UK',
      '12347,2,7,4310,IS',
      '"12348, B",75,4,1797.24,FI',
      '12349,18,1,1757.55,IT',
      '',
    ].join('\n');

    function checkScored(text: string, a: ArtifactV1) {
      const lines = text.trim().split(/\r?\n/);
      expect(lines[0]).to.equal('CID,Recency,Frequency,Monetary,region,cluster,segment,outlier,error');
      expect(lines).to.have.length(5);
      expect(lines[3]).to.match(/^"12348, B",75,4,1797.24,FI,\d+,/);
      const rows = [
        [325, 1, 77183.6],
        [2, 7, 4310],
        [75, 4, 1797.24],
        [18, 1, 1757.55],
      ];
      rows.forEach(([r, f, m], i) => {
        const seg = expected(a, r!, f!, m!);
        expect(lines[i + 1]!.endsWith(`,${seg.cluster},${seg.name},${seg.outlier ?? ''},`), lines[i + 1]).to.equal(
          true,
        );
      });
    }

    it('with JavaScript: the file goes to the CSV API and comes back as a download, staying on the page', async () => {
      const w = await page();
      const { page: p } = w;
      await p.goto('/');
      const api = p.waitForRequest((r) => r.url().endsWith('/api/v1/predict/csv') && r.method() === 'POST');
      await p
        .getByLabel('CSV file')
        .setInputFiles({ name: 'customers.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      const [download] = await Promise.all([
        p.waitForEvent('download'),
        p.getByRole('button', { name: 'Score file and download' }).click(),
      ]);
      await api;
      expect(download.suggestedFilename()).to.equal('customers-scored-v1.csv');
      checkScored(readFileSync((await download.path())!, 'utf8'), V1);
      await p.locator('#score-status').filter({ hasText: 'downloaded' }).waitFor();
      expect(await p.locator('#score-status').textContent()).to.match(/downloaded \(model v1\)\.$/);
      await screenshot(p, 'score-file-done-js-desktop');
      clean(w);
    });

    it('with JavaScript off: the multipart form answers the scored file as a download', async () => {
      const w = await page({ javaScriptEnabled: false });
      const { page: p } = w;
      await p.goto('/');
      await p
        .getByLabel('CSV file')
        .setInputFiles({ name: 'my list.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      const [download] = await Promise.all([
        p.waitForEvent('download'),
        p.getByRole('button', { name: 'Score file and download' }).click(),
      ]);
      expect(download.suggestedFilename()).to.equal('my_list-scored-v1.csv');
      checkScored(readFileSync((await download.path())!, 'utf8'), V1);
      clean(w);
    });

    it('bad rows come back with the reason in the error column; a file without the needed columns is refused on the page', async () => {
      const bad = 'cid,recency,frequency,monetary\na,1,1,10\nb,-3,1,10\nc,1,x,10\n';
      for (const js of [true, false]) {
        const w = await page({ javaScriptEnabled: js });
        const { page: p } = w;
        await p.goto('/');
        await p
          .getByLabel('CSV file')
          .setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
        const [download] = await Promise.all([
          p.waitForEvent('download'),
          p.getByRole('button', { name: 'Score file and download' }).click(),
        ]);
        const lines = readFileSync((await download.path())!, 'utf8')
          .trim()
          .split(/\r?\n/);
        expect(lines[1]).to.match(/^a,1,1,10,\d+,[^,]+,(true|false|),$/);
        expect(lines[2]).to.equal('b,-3,1,10,,,,"row 2, recency: recency must be at least 0 (days)"');
        expect(lines[3]).to.match(/^c,1,x,10,,,,"row 3, frequency: frequency must be a number/);
        if (js)
          expect(await p.locator('#score-status').filter({ hasText: 'downloaded' }).textContent()).to.match(
            /2 rows could not be scored/,
          );

        await p
          .getByLabel('CSV file')
          .setInputFiles({ name: 'wrong.csv', mimeType: 'text/csv', buffer: Buffer.from('name,spent\nx,10\n') });
        await p.getByRole('button', { name: 'Score file and download' }).click();
        const box = p.locator('#file-error');
        await box.waitFor();
        expect(await box.textContent(), `js=${js}`).to.match(/lacks column\(s\) recency, frequency, monetary/);
        if (!js) await screenshot(p, 'score-file-error-nojs-desktop');
        clean(w, status(400));
      }
    });
  });

  describe('models pages', () => {
    it('/models lists every version with status, export, metrics, and marks production', async () => {
      for (const phone of [false, true]) {
        const w = await page({ phone });
        const { page: p } = w;
        await p.goto('/models');
        expect(await p.locator('h1').textContent()).to.equal('Models');
        const rows = p.locator('table.versions tbody tr');
        expect(await rows.count()).to.equal(3);
        expect(await rows.evaluateAll((trs) => trs.map((t) => t.getAttribute('data-version')))).to.deep.equal([
          '3',
          '2',
          '1',
        ]);
        const prod = p.locator('tr.is-production');
        expect(await prod.count()).to.equal(1);
        expect(await prod.getAttribute('data-version')).to.equal('1');
        expect(await prod.textContent())
          .to.include('★ production')
          .and.include('serving now');
        expect(await p.locator('#version-2').textContent())
          .to.include('online_retail_2011-11.csv.gz')
          .and.include('0.330')
          .and.include('candidate');
        expect(await p.locator('#alias-history').textContent()).to.include('first model');
        await screenshot(p, `models-${phone ? 'phone' : 'desktop'}`);
        clean(w);
      }
    });

    it('a version page shows the segment profile, three charts, the report link and its history', async () => {
      for (const phone of [false, true]) {
        const w = await page({ phone });
        const { page: p } = w;
        await p.goto('/models');
        await p.getByRole('link', { name: 'v1', exact: true }).first().click();
        await p.waitForURL(/\/models\/customer-segments\/1$/);
        expect(await p.locator('#segment-profile tbody tr').count()).to.equal(4);
        for (const s of V1.segments)
          expect(await p.locator(`#segment-profile tr[data-cluster="${s.cluster}"] .seg-name`).textContent()).to.equal(
            s.name,
          );
        for (const id of ['chart-sizes', 'chart-snake', 'chart-map']) {
          const img = p.locator(`#${id} img`);
          await img.scrollIntoViewIfNeeded();
          await waitFor(
            async () =>
              (await img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)) ? true : undefined,
            5000,
          );
          expect(await img.getAttribute('alt')).to.have.length.greaterThan(20);
        }
        const overflow = (await p.evaluate(() => document.documentElement.scrollWidth)) - p.viewportSize()!.width; // the phone's 390 px, not a widened layout viewport
        expect(overflow, 'horizontal scroll').to.be.at.most(0);
        await screenshot(p, `version-${phone ? 'phone' : 'desktop'}`);
        if (!phone) {
          await p.locator('#report-link').click();
          await p.waitForURL(/\/models\/customer-segments\/1\/report$/);
          expect(await p.locator('h1').textContent()).to.equal('Training report v1');
          expect(await p.locator('h1').evaluate((h) => getComputedStyle(h).color)).to.equal('rgb(31, 95, 191)'); // its own inline style applies
          await p.goto('/models/customer-segments/2');
          expect(await p.locator('#report-missing').count()).to.equal(1);
          const r = await p.goto('/models/customer-segments/2/report');
          expect(r!.status()).to.equal(404);
          expect(await p.locator('h1').textContent()).to.equal('Page not found');
        }
        clean(w, status(404));
      }
    });

    it('charts are SVG rendered by the server and readable with JavaScript off', async () => {
      const w = await page({ javaScriptEnabled: false });
      const { page: p } = w;
      const res = await p.request.get('/models/customer-segments/2/charts/snake.svg');
      expect(res.status()).to.equal(200);
      expect(res.headers()['content-type']).to.match(/^image\/svg\+xml/);
      const body = await res.text();
      expect(body).to.match(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(body).to.not.match(/<script/i);
      for (const s of V2.segments) expect(body).to.include(s.name.replace(/'/g, '&#39;').replace(/'/g, "'"));
      await p.goto('/models/customer-segments/2');
      for (const id of ['chart-sizes', 'chart-snake', 'chart-map'])
        expect(await p.locator(`#${id} img`).evaluate((i: HTMLImageElement) => i.naturalWidth)).to.be.greaterThan(100);
      clean(w);
    });
  });

  describe('admin actions', () => {
    it('are absent until the admin token is entered; the session cookie is HttpOnly and SameSite=Strict', async () => {
      const w = await page();
      const { page: p, context } = w;
      await p.goto('/models/customer-segments/2');
      expect(await p.locator('#promote-form').count()).to.equal(0);
      await p.getByRole('link', { name: 'Sign in as admin' }).click();
      await p.getByLabel('Your token').fill('not-the-token-at-all');
      await p.getByRole('button', { name: 'Sign in' }).click();
      expect(await p.locator('#login-error').textContent()).to.match(/not valid/);
      await screenshot(p, 'admin-signin-error-desktop');
      await p.getByLabel('Your token').fill(TOKEN);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.waitForURL(/\/models\/customer-segments\/2$/);
      expect(await p.locator('#promote-form').count()).to.equal(1);
      const cookie = (await context.cookies()).find((c) => c.name === 'rfm_admin')!;
      expect(cookie).to.include({ httpOnly: true, sameSite: 'Strict', secure: false, path: '/' });
      expect(cookie.value).to.not.include(TOKEN);
      expect(await p.evaluate(() => document.cookie)).to.not.include('rfm_admin');
      clean(w, status(401));
    });

    it('promote through the UI changes the version the lookup answers with; a refused promote shows the policy and can be forced with a reason', async () => {
      const w = await page();
      const { page: p } = w;
      await p.goto('/admin');
      await p.getByLabel('Your token').fill(TOKEN);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.waitForURL(/\/models\?done=signed-in$/);

      await p.goto('/models/customer-segments/2');
      await p.getByLabel('Reason').first().fill('November export is better');
      await p.getByRole('button', { name: 'Promote v2 to production' }).click();
      await p.waitForURL(/\/models\/customer-segments\/2\?done=promoted$/);
      expect(await p.locator('#notice').textContent()).to.match(/v2 is now in production/);
      await screenshot(p, 'version-promoted-desktop');

      // the lookup page follows within a second (the server polls the registry)
      await waitFor(async () => {
        await p.goto('/');
        return (await p.locator('#model-badge').textContent())?.includes('v2') ? true : undefined;
      }, 5000);
      await fillForm(p, { recency: '12', monetary: '830.50', frequency: '4' });
      await p.getByRole('button', { name: 'Find segment' }).click();
      await p.locator('#result-model').filter({ hasText: 'v2' }).waitFor();
      expect(await p.locator('#segment-name').textContent()).to.equal(expected(V2, 12, 4, 830.5).name);

      // v3 fails the policy: the refusal lists the failed rule; forcing needs the reason
      await p.goto('/models/customer-segments/3');
      await p.getByLabel('Reason').first().fill('campaign deadline');
      await p.getByRole('button', { name: 'Promote v3 to production' }).click();
      const notice = p.locator('#notice');
      await notice.waitFor();
      expect(await notice.textContent())
        .to.match(/policy refused v3/)
        .and.match(/silhouette 0\.0500 < minimum 0\.2000/);
      await screenshot(p, 'version-policy-refused-desktop');
      expect(await p.getByLabel('Reason').first().inputValue()).to.equal('campaign deadline');
      await p.getByRole('button', { name: /Promote anyway/ }).click();
      await p.waitForURL(/\/models\/customer-segments\/3\?done=promoted$/);

      // roll back from the models page: production returns to v2, recorded with the reason
      await p.goto('/models');
      await p.getByText('Roll back production…').click();
      await p.locator('#rollback-reason').fill('v3 segments look wrong');
      await p.getByRole('button', { name: 'Roll back production' }).click();
      await p.waitForURL(/\/models\?done=rolled-back&to=2$/);
      expect(await p.locator('tr.is-production').getAttribute('data-version')).to.equal('2');
      expect(await p.locator('#alias-history').textContent())
        .to.include('v3 segments look wrong')
        .and.include('web:admin');
      await screenshot(p, 'models-after-rollback-desktop');
      clean(w, status(422));
    });

    it('relabel a segment: the lookup shows the new name', async () => {
      const w = await page();
      const { page: p } = w;
      await p.goto('/admin?next=/models/customer-segments/2');
      await p.getByLabel('Your token').fill(TOKEN);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.waitForURL(/\/models\/customer-segments\/2$/);
      const target = expected(V2, 12, 4, 830.5);
      await p.getByLabel('Segment', { exact: true }).selectOption(String(target.cluster));
      await p.getByLabel('New name').fill('Best Friends');
      await p.locator('#relabel-reason').fill('marketing naming');
      await p.getByRole('button', { name: 'Rename segment' }).click();
      await p.waitForURL(/done=relabelled$/);
      expect(await p.locator(`#segment-profile tr[data-cluster="${target.cluster}"] .seg-name`).textContent()).to.equal(
        'Best Friends',
      );
      await screenshot(p, 'version-admin-desktop');
      await waitFor(async () => {
        await p.goto('/');
        await fillForm(p, { recency: '12', monetary: '830.50', frequency: '4' });
        await p.getByRole('button', { name: 'Find segment' }).click();
        await p.locator('#result #segment-name').waitFor();
        return (await p.locator('#segment-name').textContent()) === 'Best Friends' ? true : undefined;
      }, 5000);
      clean(w);
    });

    it('refuses a form post without the CSRF field or from another origin, even with the cookie', async () => {
      const w = await page();
      const { page: p, context } = w;
      await p.goto('/admin');
      await p.getByLabel('Your token').fill(TOKEN);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.waitForURL(/done=signed-in/);
      const cookie = (await context.cookies()).find((c) => c.name === 'rfm_admin')!;
      const post = (headers: Record<string, string>, body: string) =>
        fetch(`${suite.server.url}/models/customer-segments/1/promote`, {
          method: 'POST',
          redirect: 'manual',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            cookie: `rfm_admin=${cookie.value}`,
            ...headers,
          },
          body,
        });
      expect((await post({}, 'reason=x&force=on')).status).to.equal(403);
      const csrf = await p.locator('#rollback-form input[name="csrf"]').inputValue();
      expect(
        (await post({ origin: 'http://evil.example' }, `reason=x&force=on&csrf=${encodeURIComponent(csrf)}`)).status,
      ).to.equal(403);
      expect((await post({}, `reason=x&force=on&csrf=${encodeURIComponent(csrf.slice(0, -2))}AA`)).status).to.equal(
        403,
      );
      const reg = await Registry.openReadOnly(registry);
      expect(await reg.resolveAlias(MODEL, 'production')).to.equal(2); // nothing moved
      await reg.close();
      // signing out ends the session
      await p.goto('/admin');
      await p.getByRole('button', { name: 'Sign out', exact: true }).click();
      await p.goto('/models/customer-segments/1');
      expect(await p.locator('#promote-form').count()).to.equal(0);
      clean(w);
    });
  });

  it('a viewer signs in with their token: named on every page, no promote/rollback/relabel controls, a forged promote is refused', async () => {
    const w = await page();
    const { page: p } = w;
    await p.goto('/admin?next=/models/customer-segments/2');
    await p.getByLabel('Your token').fill(VIEWER);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL(/\/models\/customer-segments\/2$/);
    expect(await p.locator('#who').textContent()).to.equal('vera (viewer)');
    for (const form of ['#promote-form', '#relabel-form', 'form[action$="/promote"]', 'form[action$="/relabel"]'])
      expect(await p.locator(form).count(), form).to.equal(0);
    expect(await p.locator('#admin-hint').textContent()).to.match(/needs the admin role;\s+vera is a viewer/);
    await p.goto('/models');
    expect(await p.locator('#rollback-form').count()).to.equal(0);
    await p.goto('/runs');
    expect(await p.locator('#who').textContent()).to.equal('vera (viewer)');
    await p.goto('/admin');
    expect(await p.locator('#sign-out-all').count(), 'sign out everyone is an admin action').to.equal(0);
    // the form's own token, posted by hand: the server refuses by role, production does not move
    const csrf = await p.locator('input[name="csrf"]').first().getAttribute('value');
    const before = await (await p.request.get('/api/v1/models/customer-segments/history?alias=production')).json();
    const forged = await p.request.post('/models/customer-segments/3/promote', {
      form: { csrf: csrf!, reason: 'viewer tries', force: 'on' },
      headers: { accept: 'application/json', 'sec-fetch-site': 'same-origin' },
      maxRedirects: 0,
    });
    expect(forged.status()).to.equal(403);
    expect((await forged.json()).error.message).to.equal(
      'this needs the admin role; vera is a viewer: nothing was changed',
    );
    const after = await (await p.request.get('/api/v1/models/customer-segments/history?alias=production')).json();
    expect(after.events).to.deep.equal(before.events);
    // removed from the users file: the open session stops working at the next request
    writeUsersFile(users(), []);
    await p.goto('/runs');
    await p.waitForURL(/\/admin\?next=%2Fruns$/);
    expect(await p.locator('#login-form').count()).to.equal(1);
    clean(w, status(403));
  });

  it('admin sign-in on a phone: the form fits the screen, is usable by touch, and signs in', async () => {
    const w = await page({ phone: true });
    const { page: p, context } = w;
    await p.goto('/admin?next=/models/customer-segments/2');
    await screenshot(p, 'admin-signin-phone');
    const width = p.viewportSize()!.width;
    const overflow = (await p.evaluate(() => document.documentElement.scrollWidth)) - width;
    expect(overflow, 'horizontal scroll on a phone').to.be.at.most(0);
    const controls = [p.getByLabel('Your token'), p.getByRole('button', { name: 'Sign in' })];
    for (const c of controls) {
      const box = (await c.boundingBox())!;
      expect(box, 'control rendered').to.not.equal(null);
      expect(box.x, 'starts on screen').to.be.at.least(0);
      expect(box.x + box.width, 'ends on screen').to.be.at.most(width);
      expect(box.height, 'tall enough to tap').to.be.at.least(24);
    }
    await controls[0]!.tap();
    await controls[0]!.fill(TOKEN);
    await controls[1]!.tap();
    await p.waitForURL(/\/models\/customer-segments\/2$/);
    await screenshot(p, 'admin-signed-in-phone');
    // admin forms (each carries the CSRF field) appear once signed in; waitFor throws after 5 s if none
    await p.locator('form input[name="csrf"]').first().waitFor({ state: 'attached', timeout: 5000 });
    await p.goto('/admin');
    expect(await p.locator('#sign-out').isVisible(), 'signed in: the admin page offers sign-out').to.equal(true);
    expect((await context.cookies()).some((c) => c.name === 'rfm_admin' && c.httpOnly)).to.equal(true);
    clean(w);
  });
});

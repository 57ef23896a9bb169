import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { makeArtifact } from '@rfm/shared/testing';
import { Registry, type RunRecord } from '@rfm/registry';
import { loadSavedRun } from '@rfm/runs';
import { rfmTrainCommand, SAMPLE } from '../support.js';
import { expectAccessible } from './axe.js';
import { screenshot } from './browser.js';
import { browserSuite } from './suite.js';

/**
 * The marketer's pages (issue 12) in real Chromium against a real server (port 0), a real registry
 * and the real scoring child process: upload an export without and with JavaScript, watch it run,
 * read the segments and the movement since the previous run, download customer lists, refused
 * files, phone width, and that nobody signed out reaches customer-level data.
 */
const MODEL = 'customer-segments';
const TOKEN = 'browser-runs-admin-token-0123456789ab';
const ARTIFACT = makeArtifact({
  note: 'online_retail_sample.csv.gz',
  centroids: [
    [-1.2, 1.1, 1.2],
    [1.3, -0.9, -1.0],
    [-0.6, -0.5, -0.4],
    [0.6, 0.4, 0.5],
  ],
});
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** The sample's rows before 1 Sep 2011: "last month's export" of the same shop (plain CSV). */
function sampleCut(out: string): void {
  const lines = gunzipSync(readFileSync(SAMPLE)).toString('utf8').split('\n');
  const kept = lines.slice(1).filter((l) => {
    const date = l.split(',')[4] ?? '';
    const m = /^(\d+)\/(\d+)\/(\d{4})/.exec(date);
    return m !== null && Number(m[3]) * 100 + Number(m[1]) < 201109;
  });
  writeFileSync(out, `${lines[0]}\n${kept.join('\n')}\n`);
}

describe('browser: scoring runs pages (upload, progress, segments, movement, downloads)', function () {
  this.timeout(240_000);
  const suite = browserSuite({
    prefix: 'rfm-browser-runs-',
    config: { adminToken: TOKEN, pollMs: 50 },
    seed: async (registry) => {
      sampleCut(cut);
      const reg = await Registry.open(registry);
      const v = await reg.register({ modelName: MODEL, artifact: ARTIFACT, actor: 'analyst@example' });
      await reg.promote(MODEL, v.version, { actor: 'analyst@example', reason: 'first model', force: true });
      await reg.close();
    },
    start: (dir) => ({
      runs: { tempRoot: dir, pollMs: 50, maxUploadBytes: 2 * 1024 ** 2 },
      train: { command: rfmTrainCommand() },
    }),
  });
  const { page, clean } = suite;
  const registry = suite.registry;
  const cut = join(suite.dir, 'online_retail_2011-08.csv');
  let first: RunRecord; // the cut, uploaded without JavaScript
  let second: RunRecord; // the whole sample, uploaded with JavaScript
  let mapped: RunRecord; // the cut under unusual headers, read through a column mapping

  async function signIn(p: Page, next = '/runs/new'): Promise<void> {
    await p.goto(`/admin?next=${encodeURIComponent(next)}`);
    await p.getByLabel('Your token').fill(TOKEN);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL((u) => u.pathname === next);
  }

  async function withRegistry<T>(fn: (r: Registry) => Promise<T>): Promise<T> {
    const r = await Registry.open(registry);
    try {
      return await fn(r);
    } finally {
      await r.close();
    }
  }

  const runIdOf = (p: Page) => /\/runs\/(r-\d{8}-[0-9a-f]+)$/.exec(new URL(p.url()).pathname)?.[1] ?? '';

  it('without JavaScript: the plain form uploads, the status page refreshes itself and lands on the run', async () => {
    const w = await page({ javaScriptEnabled: false });
    const p = w.page;
    await signIn(p);
    await p.setInputFiles('#file', cut);
    await p.getByRole('button', { name: 'Upload and segment' }).click();
    await p.waitForURL(/\/runs\/r-\d{8}-[0-9a-f]+$/);
    const id = runIdOf(p);
    // first the status page (the child process is still starting), which reloads itself: <noscript> meta refresh
    await p.locator('#run-status').waitFor({ timeout: 5000 });
    expect(await p.locator('noscript').innerHTML()).to.include('http-equiv="refresh"');
    await p.locator('#run-segments').waitFor({ timeout: 90_000 });
    expect(runIdOf(p)).to.equal(id);
    first = await withRegistry((r) => r.getRun(id));
    expect(first.exportName).to.equal('online_retail_2011-08.csv');
    expect(first.createdBy).to.equal('web:admin');
    expect(await p.locator('#no-previous').count(), 'the first run has nothing to compare with').to.equal(1);
    // no axe audit here: axe runs as page script, which this context disables (the JS tests audit the same page)
    await screenshot(p, 'runs-first-run-nojs-desktop');
    clean(w);
  });

  it('with JavaScript: upload the sample, a live progress bar, then the segment table matching the saved run', async () => {
    const w = await page();
    const p = w.page;
    await signIn(p);
    const polled: { state: string; percent: number }[] = [];
    // a poll answered just as the page navigates away has no body left to read: skip it, never throw
    // (an unhandled rejection here would end the whole mocha process)
    p.on('response', (r) => {
      if (!/\/progress\.json$/.test(r.url()) || !r.ok()) return;
      r.json().then(
        (b) => polled.push(b as { state: string; percent: number }),
        () => {},
      );
    });
    // drag and drop: a file dropped on the form lands in the file input
    expect(await p.locator('#file-hint').textContent()).to.include('drop the file on this form');
    const bytes = [...readFileSync(SAMPLE)];
    const dropped = await p.evaluateHandle((b) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(b)], 'online_retail_sample.csv.gz', { type: 'application/gzip' }));
      return dt;
    }, bytes);
    await p.dispatchEvent('#upload-form', 'drop', { dataTransfer: dropped });
    expect(await p.locator('#file').evaluate((i: HTMLInputElement) => i.files?.[0]?.name)).to.equal(
      'online_retail_sample.csv.gz',
    );
    await p.getByRole('button', { name: 'Upload and segment' }).click();
    await p.waitForURL(/\/runs\/r-\d{8}-[0-9a-f]+$/);
    const id = runIdOf(p);
    // the redirect lands on the status page while the child process starts: a progress bar, fed by polling
    await p.locator('#run-progress').waitFor({ timeout: 5000 });
    expect(await p.locator('#cancel-run').isVisible()).to.equal(true);
    await screenshot(p, 'runs-progress-desktop');
    await expectAccessible(p, 'runs-progress-desktop');
    await p.locator('#run-segments').waitFor({ timeout: 90_000 });
    second = await withRegistry((r) => r.getRun(id));
    expect(second.rowsRead).to.equal(12_140);
    expect(second.customers).to.equal(296);
    // the page's figures are the saved run's
    expect(await p.locator('#fact-customers').textContent()).to.equal('296');
    expect(await p.locator('#fact-snapshot').textContent()).to.equal(second.snapshotDate);
    expect(await p.locator('#fact-version').getAttribute('href')).to.equal(`/models/${MODEL}/${second.version}`);
    expect(await p.locator('#fact-rows').textContent()).to.include('cancelled 340');
    expect(await p.locator('#run-segments tbody tr').count()).to.equal(second.summary.length);
    for (const s of second.summary) {
      const row = p.locator(`#run-segments tbody tr[data-cluster="${s.cluster}"]`);
      expect(await row.locator('td[data-label="Share of revenue"]').textContent(), s.segment).to.equal(
        pct(s.revenueShare),
      );
      expect(await row.locator('td[data-label="Share of customers"]').textContent(), s.segment).to.equal(
        pct(s.customerShare),
      );
      expect(await row.locator('td[data-label="Customers"]').textContent(), s.segment).to.equal(String(s.customers));
    }
    const img = p.locator('#chart-shares img');
    expect(await img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).to.be.greaterThan(100);
    expect(await img.getAttribute('alt')).to.include(`${second.summary[0]!.segment} `);
    // the bar followed the run's own job state: polled while queued/running, then the page opened the result
    expect(
      polled.some((x) => x.state === 'queued' || x.state === 'running'),
      JSON.stringify(polled),
    ).to.equal(true);
    for (const x of polled) expect(x.percent).to.be.within(0, 100);
    // the segment table fits its card at desktop width: nothing (the advice column) cut at the edge
    const overflow = await p
      .locator('#run-segments')
      .evaluate((t) => t.parentElement!.scrollWidth - t.parentElement!.clientWidth);
    expect(overflow, 'segment table wider than its card').to.be.at.most(0);
    await screenshot(p, 'runs-result-desktop');
    await expectAccessible(p, 'runs-result-desktop');
    clean(w);
  });

  it('movement since the previous run: a flow count equals an independent count over both saved runs', async () => {
    const w = await page();
    const p = w.page;
    await signIn(p, `/runs/${second.id}`);
    const [a, b] = await withRegistry(async (r) => [await loadSavedRun(r, first.id), await loadSavedRun(r, second.id)]);
    const keyA = new Map(a.run.summary.map((s) => [s.cluster, s.key]));
    const keyB = new Map(b.run.summary.map((s) => [s.cluster, s.key]));
    const before = new Map(a.customers.cid.map((c, i) => [c, keyA.get(a.customers.cluster[i]!)!]));
    const count = new Map<string, number>();
    b.customers.cid.forEach((c, i) => {
      const from = before.get(c);
      if (from === undefined) return;
      const k = `${from}>${keyB.get(b.customers.cluster[i]!)}`;
      count.set(k, (count.get(k) ?? 0) + 1);
    });
    const rows = p.locator('#transitions tbody tr');
    expect(await rows.count()).to.equal(count.size);
    const moved = [...count].filter(([k]) => k.split('>')[0] !== k.split('>')[1]).sort((x, y) => y[1] - x[1]);
    expect(moved.length, 'the cut and the whole sample differ for some customers').to.be.greaterThan(0);
    const [flow, n] = moved[0]!;
    const [from, to] = flow.split('>');
    const row = p.locator(`#transitions tbody tr[data-from="${from}"][data-to="${to}"]`);
    expect(await row.locator('td[data-label="Customers"]').textContent()).to.equal(String(n));
    // the Sankey beside the table: drawn on the server, its text alternative names the largest flow with its count
    const chart = p.locator('#chart-movement img');
    expect(await chart.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).to.be.greaterThan(100);
    expect(await chart.getAttribute('alt')).to.match(
      new RegExp(`(^|; |: )${n.toLocaleString('en-US')} from [^;]+ to `),
    );
    expect(await p.locator('#notable-flows li').count()).to.be.greaterThan(0);
    expect(await p.locator('#notable-flows li').first().textContent()).to.match(
      /^\d[\d,]* .+ (slipped|moved up) to .+, worth [\d,]+ in last-period spend\./,
    );
    // the customers of a notable flow download with their previous segment
    const link = p.locator('#notable-flows li a').first();
    const href = (await link.getAttribute('href'))!;
    const q = new URL(href, suite.server.url).searchParams;
    const [dl] = await Promise.all([p.waitForEvent('download'), link.click()]);
    const csv = readFileSync((await dl.path())!, 'utf8')
      .trim()
      .split('\n');
    expect(csv.length - 1).to.equal(count.get(`${q.get('from')}>${q.get('to')}`));
    await screenshot(p, 'runs-movement-desktop');
    await expectAccessible(p, 'runs-movement-desktop');
    clean(w);
  });

  it('a segment list downloads as CSV with exactly that segment’s customers', async () => {
    const w = await page();
    const p = w.page;
    await signIn(p, `/runs/${second.id}`);
    const seg = [...second.summary].sort((x, y) => y.customers - x.customers)[0]!;
    const b = await withRegistry((r) => loadSavedRun(r, second.id));
    const want = b.customers.cid.filter((_, i) => b.customers.cluster[i] === seg.cluster).sort();
    const [dl] = await Promise.all([
      p.waitForEvent('download'),
      p.locator(`#run-segments tbody tr[data-cluster="${seg.cluster}"] a`).click(),
    ]);
    const [head, ...lines] = readFileSync((await dl.path())!, 'utf8')
      .trim()
      .split('\n');
    const cols = head!.split(',');
    expect(cols).to.include.members([
      'cid',
      'segment',
      'previous_segment',
      'recency',
      'frequency',
      'monetary',
      'r_score',
    ]);
    const rows = lines.map((l) => l.split(','));
    expect(rows.map((r) => r[cols.indexOf('cid')]).sort()).to.deep.equal(want);
    for (const r of rows) expect(r[cols.indexOf('segment')]).to.equal(seg.segment);
    // the version page links to the runs scored with it, and the run page links back
    await p.locator('#fact-version').click();
    await p.waitForURL((u) => u.pathname === `/models/${MODEL}/${second.version}`);
    for (const id of [first.id, second.id])
      expect(await p.locator(`#version-runs a[href="/runs/${id}"]`).count(), id).to.equal(1);
    clean(w);
  });

  it('refused files: an image and an empty file get a message next to the field, nothing is started or saved', async () => {
    const w = await page();
    const p = w.page;
    await signIn(p);
    const counts = () => withRegistry(async (r) => [(await r.listRuns({})).length, (await r.listRunJobs({})).length]);
    const before = await counts();
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]);
    await p.setInputFiles('#file', { name: 'photo.png', mimeType: 'image/png', buffer: png });
    await p.getByRole('button', { name: 'Upload and segment' }).click();
    await p.locator('#file-error').waitFor();
    expect(await p.locator('#file-error').textContent()).to.include('PNG image, not a transaction export');
    expect(await p.locator('#file').getAttribute('aria-describedby')).to.include('file-error');
    await screenshot(p, 'runs-refused-image-desktop');
    await expectAccessible(p, 'runs-refused-image-desktop');
    await p.setInputFiles('#file', { name: 'empty.csv', mimeType: 'text/csv', buffer: Buffer.alloc(0) });
    await p.getByRole('button', { name: 'Upload and segment' }).click();
    await p.locator('#file-error').waitFor();
    expect(await p.locator('#file-error').textContent()).to.include('empty');
    const big = Buffer.alloc(3 * 1024 ** 2, 'a,b,c\n');
    await p.setInputFiles('#file', { name: 'big.csv', mimeType: 'text/csv', buffer: big });
    await p.getByRole('button', { name: 'Upload and segment' }).click();
    await p.locator('#file-error').waitFor();
    expect(await p.locator('#file-error').textContent()).to.include('too large');
    expect(await counts()).to.deep.equal(before);
    const problems = w.problems.filter((x) => !/status of (413|422|400)/.test(x));
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });

  it('a file named .parquet that is not one: refused next to the field before it is sent; without JavaScript by the server', async () => {
    const jobs = async () => withRegistry(async (r) => (await r.listRunJobs({})).length);
    const before = await jobs();
    const csv = readFileSync(cut);
    const w = await page();
    const p = w.page;
    await signIn(p);
    const posts: string[] = [];
    p.on('request', (r) => {
      if (r.method() === 'POST') posts.push(r.url());
    });
    await p.setInputFiles('#file', { name: 'may.parquet', mimeType: 'application/octet-stream', buffer: csv });
    await p.locator('#file-error').waitFor();
    expect(await p.locator('#file-error').textContent()).to.include('named .parquet but is not a Parquet file');
    expect(await p.locator('#file').getAttribute('aria-invalid')).to.equal('true');
    await p.getByRole('button', { name: 'Upload and segment' }).click();
    expect(posts, 'nothing was uploaded').to.deep.equal([]);
    await screenshot(p, 'runs-misnamed-parquet-desktop');
    await expectAccessible(p, 'runs-misnamed-parquet-desktop');
    // choosing the right file clears the message
    await p.setInputFiles('#file', cut);
    await p.locator('#file-error').waitFor({ state: 'detached' });
    clean(w);
    // without JavaScript the upload goes through and the server refuses it with the same words, nothing started
    const nojs = await page({ javaScriptEnabled: false });
    await signIn(nojs.page);
    await nojs.page.setInputFiles('#file', { name: 'may.csv.gz', mimeType: 'application/gzip', buffer: csv });
    await nojs.page.getByRole('button', { name: 'Upload and segment' }).click();
    await nojs.page.locator('#file-error').waitFor();
    expect(await nojs.page.locator('#file-error').textContent()).to.include('named .gz but is not gzip-compressed');
    expect(await jobs()).to.equal(before);
  });

  it('phone width (390 px): the run page and the upload form fit without sideways scrolling', async () => {
    const w = await page({ phone: true });
    const p = w.page;
    await signIn(p, `/runs/${second.id}`);
    const overflow = () =>
      p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(await overflow(), 'run page').to.be.at.most(0);
    await screenshot(p, 'runs-result-phone');
    await expectAccessible(p, 'runs-result-phone');
    await p.goto('/runs/new');
    expect(await overflow(), 'upload page').to.be.at.most(0);
    await screenshot(p, 'runs-upload-phone');
    await expectAccessible(p, 'runs-upload-phone');
    await p.goto('/runs');
    expect(await overflow(), 'runs list').to.be.at.most(0);
    clean(w);
  });

  it('a visitor who is not signed in gets no customer-level page or download, only the way to sign in', async () => {
    for (const path of [
      '/runs',
      '/runs/new',
      `/runs/${second.id}`,
      `/runs/${second.id}/customers.csv`,
      `/runs/${second.id}/customers.csv?segment=${encodeURIComponent(second.summary[0]!.segment)}`,
      `/runs/${second.id}/moved.csv?against=${first.id}&from=champions&to=at_risk`,
      `/runs/${second.id}/charts/shares.svg`,
    ]) {
      const r = await fetch(`${suite.server.url}${path}`, { redirect: 'manual' });
      expect(r.status, path).to.equal(303);
      expect(r.headers.get('location'), path).to.match(/^\/admin\?next=%2Fruns/);
      const body = await r.text();
      const b = await withRegistry((x) => loadSavedRun(x, second.id));
      expect(body.includes(b.customers.cid[0]!), path).to.equal(false);
    }
    const post = await fetch(`${suite.server.url}/runs/new`, {
      method: 'POST',
      redirect: 'manual',
      body: (() => {
        const f = new FormData();
        f.set('file', new Blob([readFileSync(cut)]), 'x.csv');
        return f;
      })(),
    });
    expect(post.status).to.equal(303);
    const progress = await fetch(`${suite.server.url}/runs/${second.id}/progress.json`);
    expect(progress.status).to.equal(401);
    const w = await page();
    await w.page.goto(`/runs/${second.id}`);
    expect(new URL(w.page.url()).pathname).to.equal('/admin');
    expect(await w.page.locator('#login-form').count()).to.equal(1);
    // the public version page says runs exist but links none of them
    await w.page.goto(`/models/${MODEL}/${second.version}`);
    expect(await w.page.locator('#version-runs').textContent()).to.include('2 saved scoring runs used this version');
    expect(await w.page.locator('#version-runs a[href^="/runs/r-"]').count()).to.equal(0);
    await screenshot(w.page, 'runs-signed-out-desktop');
    await expectAccessible(w.page, 'runs-signed-out-desktop');
  });
  it('with JavaScript: a run waiting behind another is cancelled from its page; nothing is saved', async () => {
    // one run at a time per server: an unsaved API run occupies the queue, so the page's run waits (or has just started)
    const api = await fetch(`${suite.server.url}/api/v1/runs?save=false`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/gzip' },
      body: readFileSync(SAMPLE),
    });
    expect(api.status, await api.clone().text()).to.equal(202);
    const w = await page();
    const p = w.page;
    await signIn(p);
    const savedBefore = await withRegistry(async (r) => (await r.listRuns({})).length);
    await p.setInputFiles('#file', cut);
    await p.getByRole('button', { name: 'Upload and segment' }).click();
    await p.waitForURL(/\/runs\/r-\d{8}-[0-9a-f]+$/);
    const id = runIdOf(p);
    await p.getByRole('button', { name: 'Cancel this run' }).click();
    await p.locator('#run-cancelled').waitFor({ timeout: 30_000 });
    const job = await withRegistry((r) => r.getRunJob(id));
    expect(job.state).to.equal('cancelled');
    expect(await withRegistry(async (r) => (await r.listRuns({})).length)).to.equal(savedBefore);
    await screenshot(p, 'runs-cancelled-desktop');
    await expectAccessible(p, 'runs-cancelled-desktop');
    clean(w);
  });
  it('unusual headers: the columns found with samples, best guesses prefilled, a wrong mapping refused, then the run', async () => {
    const odd = join(suite.dir, 'shop-export.csv');
    const [, ...body] = readFileSync(cut, 'utf8').split('\n');
    writeFileSync(odd, ['Order Ref,SKU,Item,Units,Placed,Each,Shopper,Land', ...body].join('\n'));
    const w = await page();
    const p = w.page;
    await signIn(p);
    await p.setInputFiles('#file', odd);
    await p.getByRole('button', { name: 'Upload and segment' }).click();
    await p.locator('#mapping-form').waitFor();
    expect(await p.locator('#found-columns tbody tr').count()).to.equal(8);
    expect(await p.locator('#found-columns tbody tr').nth(6).textContent()).to.include('15291'); // a sample customer id
    // best guesses from the names
    expect(await p.locator('#col-customer').inputValue()).to.equal('Shopper');
    expect(await p.locator('#col-invoice').inputValue()).to.equal('Order Ref');
    expect(await p.locator('#col-quantity').inputValue()).to.equal('Units');
    expect(await p.locator('#col-price').inputValue()).to.equal('Each');
    expect(await p.locator('#col-date').inputValue(), 'the column whose samples are dates').to.equal('Placed');
    await screenshot(p, 'runs-mapping-desktop');
    await expectAccessible(p, 'runs-mapping-desktop');
    // the same column twice: refused next to the field, the other choices kept
    await p.getByLabel('Invoice date').selectOption('Shopper');
    await p.getByRole('button', { name: 'Use these columns and segment' }).click();
    await p.locator('#col-date-error').waitFor();
    expect(await p.locator('#col-date-error').textContent()).to.include('already chosen for customer');
    expect(await p.locator('#col-price').inputValue()).to.equal('Each');
    await p.getByLabel('Invoice date').selectOption('Placed');
    await p.getByRole('button', { name: 'Use these columns and segment' }).click();
    await p.waitForURL(/\/runs\/r-\d{8}-[0-9a-f]+$/);
    await p.locator('#run-segments').waitFor({ timeout: 90_000 });
    const run = await withRegistry((r) => r.getRun(runIdOf(p)));
    mapped = run;
    // the same rows as the first run under other names: the same customers and snapshot
    expect(run.customers).to.equal(first.customers);
    expect(run.snapshotDate).to.equal(first.snapshotDate);
    expect(run.exportName).to.equal('shop-export.csv');
    const problems = w.problems.filter((x) => !/status of 422/.test(x));
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });
  it('a sign-in that ended before the upload: refused before it is read, sign-in returns to the upload page', async () => {
    const w = await page();
    const p = w.page;
    await signIn(p);
    const before = await withRegistry(async (r) => (await r.listRunJobs({})).length);
    await p.setInputFiles('#file', cut);
    await w.context.clearCookies(); // the session ends (expiry, or sign-out in another tab) while the form is open
    await p.getByRole('button', { name: 'Upload and segment' }).click();
    await p.waitForURL((u) => u.pathname === '/admin');
    expect(new URL(p.url()).searchParams.get('next')).to.equal('/runs/new');
    expect(await withRegistry(async (r) => (await r.listRunJobs({})).length)).to.equal(before);
    await p.getByLabel('Your token').fill(TOKEN);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL((u) => u.pathname === '/runs/new');
    expect(await p.locator('#upload-form').count()).to.equal(1);
    clean(w);
  });

  it('train a new version from a run (its column mapping kept), with progress, then its compare page as the registry compares', async () => {
    const w = await page();
    const p = w.page;
    await signIn(p, `/runs/${mapped.id}`);
    const until = await p.locator('#retrain-until time').getAttribute('datetime');
    const hoursLeft = (Date.parse(until!) - Date.now()) / 3_600_000;
    expect(hoursLeft, 'kept 24 h by default').to.be.within(23, 24);
    const versionsBefore = await withRegistry(async (r) => (await r.list(MODEL)).map((v) => v.version));
    await p.getByLabel('Number of segments (k)').selectOption('4');
    await p.getByRole('button', { name: 'Train a new version' }).click();
    // the training job's status page with the same progress bar, then the compare page
    await p.locator('#run-progress').waitFor({ timeout: 10_000 });
    expect(await p.locator('h2#status-title').textContent()).to.equal('Training a new version…');
    await p.waitForURL((u) => u.pathname === `/models/${MODEL}/compare`, { timeout: 180_000 });
    const q = new URL(p.url()).searchParams;
    const [a, b] = [Number(q.get('a')), Number(q.get('b'))];
    expect(a, 'compared with the version the run used').to.equal(mapped.version);
    const after = await withRegistry(async (r) => r.list(MODEL));
    const added = after.filter((v) => !versionsBefore.includes(v.version));
    expect(added.map((v) => v.version)).to.deep.equal([b]);
    const v = added[0]!;
    // a candidate registered under the signed-in person, trained on the mapped upload (same customers as the run)
    expect(v.createdBy).to.equal('web:admin');
    const registered = await withRegistry(async (r) =>
      (await r.history(MODEL)).find((e) => e.action === 'register' && e.toVersion === b),
    );
    expect(registered?.actor, 'the audit event names the signed-in person').to.equal('web:admin');
    expect(v.aliases).to.deep.equal([]);
    expect(v.params.k).to.equal(4);
    expect(v.data.customers).to.equal(mapped.customers);
    const reg = await withRegistry((r) => r.compare(MODEL, a, b));
    const x = reg.assignments!;
    expect(await p.locator('#changed-count').textContent()).to.equal(x.changed_segment.toLocaleString('en-US'));
    expect(await p.locator('#ari').textContent()).to.equal(x.ari.toFixed(4));
    expect(await p.locator('#metric-silhouette td').allTextContents()).to.deep.equal(
      [reg.a.metrics.silhouette, reg.b.metrics.silhouette].map((m) => (m === null ? '—' : m.toFixed(4))),
    );
    const rows = await p
      .locator('#compare-flows tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [
          tr.getAttribute('data-from'),
          tr.getAttribute('data-to'),
          tr.querySelector('td.num')?.textContent,
        ]),
      );
    expect(rows).to.deep.equal(x.transitions.map((t) => [t.from, t.to, t.customers.toLocaleString('en-US')]));
    const chart = p.locator('#chart-flows img');
    expect(await chart.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).to.be.greaterThan(100);
    // promotion stays a separate step: the link goes to the version page's policy-checked form
    expect(await p.locator('#go-promote').getAttribute('href')).to.equal(`/models/${MODEL}/${b}#promote-form`);
    await screenshot(p, 'compare-after-retrain-desktop');
    await expectAccessible(p, 'compare-after-retrain-desktop');
    const phone = await page({ phone: true });
    await phone.page.goto(`/models/${MODEL}/compare?a=${a}&b=${b}`); // public: no sign-in
    expect(
      await phone.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
    ).to.be.at.most(0);
    expect(await phone.page.locator('#go-promote').count(), 'no admin action for a visitor').to.equal(0);
    await screenshot(phone.page, 'compare-after-retrain-phone');
    await expectAccessible(phone.page, 'compare-after-retrain-phone');
    clean(w);
    clean(phone);
  });

  it('a visitor who is not signed in cannot train a version from a run', async () => {
    const jobs = await withRegistry(async (r) => (await r.listRunJobs({})).length);
    const r = await fetch(`${suite.server.url}/runs/${mapped.id}/retrain`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: suite.server.url },
      body: 'k=4',
    });
    expect(r.status).to.equal(303);
    expect(r.headers.get('location')).to.match(/^\/admin\?next=/);
    expect(await withRegistry(async (x) => (await x.listRunJobs({})).length)).to.equal(jobs);
  });

  it('keyboard only: the upload form from the top of the page, file chooser by Space, Enter uploads, cancel by keyboard', async () => {
    const w = await page();
    const p = w.page;
    await signIn(p);
    const active = () => p.evaluate(() => document.activeElement?.id ?? '');
    const ring = () =>
      p.evaluate(() => {
        const st = getComputedStyle(document.activeElement!);
        return st.outlineStyle !== 'none' || st.boxShadow !== 'none';
      });
    await p.keyboard.press('Tab');
    expect(await p.evaluate(() => document.activeElement?.textContent)).to.equal('Skip to content');
    for (let i = 0; i < 30 && (await active()) !== 'file'; i++) await p.keyboard.press('Tab');
    expect(await active()).to.equal('file');
    expect(await ring(), 'focus visible on the file input').to.equal(true);
    const [chooser] = await Promise.all([p.waitForEvent('filechooser'), p.keyboard.press('Space')]);
    await chooser.setFiles(cut);
    for (const id of ['model', 'version', 'upload']) {
      await p.keyboard.press('Tab');
      expect(await active()).to.equal(id);
      expect(await ring(), `focus visible on #${id}`).to.equal(true);
    }
    await p.keyboard.press('Enter');
    await p.waitForURL(/\/runs\/r-\d{8}-[0-9a-f]+$/);
    const id = runIdOf(p);
    const job = await withRegistry((r) => r.getRunJob(id));
    expect(job.options.exportName).to.equal('online_retail_2011-08.csv');
    // the status page's cancel button is reachable by keyboard too (unless the run already finished)
    if (await p.locator('#cancel-run').count()) {
      for (let i = 0; i < 30 && (await active()) !== 'cancel-run'; i++) await p.keyboard.press('Tab');
      if ((await active()) === 'cancel-run') await p.keyboard.press('Enter');
    }
    let end = 'running';
    for (let i = 0; i < 300 && (end === 'queued' || end === 'running'); i++) {
      end = (await withRegistry((r) => r.getRunJob(id))).state;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(['cancelled', 'succeeded']).to.include(end);
    clean(w);
  });
});

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../support.js';

/**
 * Real Chromium for the browser tests: Debian's package (apt-get install chromium; .ci/run does
 * it), driven by playwright-core. Never a browser download. RFM_CHROMIUM points elsewhere.
 *
 * Missing browser: the tests FAIL with a message saying how to install it, unless
 * RFM_SKIP_BROWSER=1, in which case they are reported as pending.
 */
export const CHROMIUM = process.env.RFM_CHROMIUM ?? '/usr/bin/chromium';
export const SKIP_BROWSER = process.env.RFM_SKIP_BROWSER === '1';

export const ARTIFACTS = join(ROOT, 'test-artifacts', 'screenshots');

export const DESKTOP = { viewport: { width: 1280, height: 900 } };
export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** In a mocha `before`: launch, skip (RFM_SKIP_BROWSER=1) or fail with a clear message. */
export async function launchOrSkip(ctx: Mocha.Context): Promise<Browser> {
  if (SKIP_BROWSER) {
    ctx.skip();
  }
  if (!existsSync(CHROMIUM))
    throw new Error(
      `browser tests need Chromium at ${CHROMIUM} (Debian: apt-get install -y chromium; or set RFM_CHROMIUM=/path/to/chromium). ` +
        'Set RFM_SKIP_BROWSER=1 to report these tests as pending instead.',
    );
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // playwright gives each launch a fresh temporary profile of its own
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 30_000,
  });
}

export interface Watched {
  page: Page;
  context: BrowserContext;
  /** console errors, CSP violations, uncaught exceptions and requests to other hosts */
  problems: string[];
}

/**
 * A fresh context and page that record every problem a person would not see but should not
 * happen: script errors, CSP violations, failed asset loads, any request leaving the server.
 */
export async function openPage(
  browser: Browser,
  baseURL: string,
  opts: { javaScriptEnabled?: boolean; phone?: boolean } = {},
): Promise<Watched> {
  const context = await browser.newContext({
    ...(opts.phone ? PHONE : DESKTOP),
    baseURL,
    javaScriptEnabled: opts.javaScriptEnabled ?? true,
    acceptDownloads: true,
    locale: 'en-US',
    colorScheme: 'light',
  });
  const problems: string[] = [];
  const origin = new URL(baseURL).origin;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
    problems.push(`request to another host: ${url}`);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    // ERR_ABORTED: a load cut short by the next navigation or turned into a download — not a fault
    if (!r.url().startsWith('blob:') && why !== 'net::ERR_ABORTED') problems.push(`failed: ${r.url()} ${why}`);
  });
  return { page, context, problems };
}

/**
 * A screenshot for people looking at a run, not an assertion. Chromium's full-page capture under
 * phone emulation now and then never returns (twice in clean-clone CI runs: "waiting for fonts to
 * load… fonts loaded", then the 30 s timeout, failing a test whose checks had nothing to do with
 * it): a capture that does not come in 10 s is taken of the viewport instead, and one that still
 * fails is said on stderr. `scale: 'css'` keeps a phone's images at its CSS size.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${name}.png`);
  try {
    await page.screenshot({ path: file, fullPage: true, scale: 'css', timeout: 10_000 });
  } catch {
    try {
      await page.screenshot({ path: file, scale: 'css', timeout: 10_000 });
    } catch (e) {
      console.warn(`screenshot ${name} not taken: ${String((e as Error).message).split('\n')[0]}`);
    }
  }
  return file;
}

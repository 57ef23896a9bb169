import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import type { AxeResults, Result } from 'axe-core';

/**
 * Accessibility audit with axe-core (from the npm registry, pinned; nothing fetched at run time):
 * every WCAG 2.0, 2.1 and 2.2 level A and AA rule axe has, run in the page as it stands. Any page
 * test can call it after it has brought the page to the state it wants checked:
 *
 *   await expectAccessible(page, 'version page, phone');
 *
 * axe is evaluated through the DevTools protocol, not added as a <script>, so the page's strict
 * Content-Security-Policy stays as served and the audit sees the page a visitor gets.
 */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The violations axe finds on the page now (an empty list when it passes). */
export async function axeViolations(page: Page): Promise<Result[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(
    (tags) =>
      (window as unknown as { axe: { run(ctx: Document, o: object): Promise<AxeResults> } }).axe.run(document, {
        runOnly: { type: 'tag', values: tags },
        resultTypes: ['violations'],
      }),
    WCAG_TAGS,
  );
  return results.violations;
}

/** One readable block per violation: rule, impact, what it asks, and each element with why it fails. */
export function formatViolations(label: string, violations: Result[]): string {
  const lines = [`${label}: ${violations.length} accessibility violation(s) (axe-core, WCAG 2 A/AA)`];
  for (const v of violations) {
    lines.push(`- ${v.id} [${v.impact ?? 'n/a'}] ${v.help} (${v.nodes.length} element(s); ${v.helpUrl})`);
    for (const n of v.nodes.slice(0, 10)) {
      lines.push(`    at ${n.target.join(' ')}: ${n.html.replace(/\s+/g, ' ').slice(0, 160)}`);
      if (n.failureSummary) lines.push(`      ${n.failureSummary.replace(/\n\s*/g, ' / ')}`);
    }
    if (v.nodes.length > 10) lines.push(`    … and ${v.nodes.length - 10} more`);
  }
  return lines.join('\n');
}

/** Fails, printing every violation, unless axe finds none. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  const violations = await axeViolations(page);
  if (violations.length) throw new Error(formatViolations(label, violations));
}

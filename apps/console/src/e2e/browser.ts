/**
 * The real browser for the console's tests: Debian's Chromium driven by playwright-core
 * (no browser download), one per test file, closed when the file's tests end; axe-core
 * checks and screenshots kept as artefacts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Chromium from the `chromium` Debian package (scripts/setup.sh installs it); `VIGIL_CHROMIUM` overrides. */
export const CHROMIUM = process.env['VIGIL_CHROMIUM'] ?? '/usr/bin/chromium';

/** Where screenshots go: `apps/console/test-artifacts/<suite>` (ignored by git). */
export function artifactsDir(suite: string): string {
  const dir = fileURLToPath(new URL(`../../test-artifacts/${suite}`, import.meta.url));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Starts Chromium headless; the caller closes it (`t.after` in a `before` hook). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // Tests run as root in CI, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}

/** A full-page PNG of `page` named `<name>.png` in `dir`; returns its path. */
export async function screenshot(page: Page, dir: string, name: string): Promise<string> {
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** One axe-core finding, reduced to what a failing test should print. */
export interface AxeFinding {
  readonly id: string;
  readonly impact: string | null | undefined;
  readonly help: string;
  readonly targets: readonly string[];
}

/**
 * Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page as it is now and returns the
 * serious and critical violations. axe is evaluated through the DevTools protocol, so the
 * page's Content-Security-Policy stays as it is served.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeFinding[]> {
  await page.evaluate(axe.source);
  const results = await page.evaluate(() =>
    (window as unknown as { axe: typeof axe }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    }),
  );
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    }));
}

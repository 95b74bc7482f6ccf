/**
 * The real browser for the console's tests: Debian's Chromium driven by playwright-core
 * (no browser download), one per test file, closed when the file's tests end; axe-core
 * checks and screenshots kept as artefacts.
 */
import assert from 'node:assert/strict';
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

/** Presses Tab until the focused element matches `selector` (keyboard only, no clicks). */
export async function tabTo(page: Page, selector: string): Promise<void> {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((css) => document.activeElement?.matches(css) ?? false, selector)) {
      await assertVisibleFocus(page, selector);
      return;
    }
  }
  assert.fail(`Tab never reached ${selector}`);
}

/** The focused element shows it: it matches :focus-visible and draws an outline of at least 2 px. */
export async function assertVisibleFocus(page: Page, what: string): Promise<void> {
  const focus = await page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { visible: false, outline: 'nothing focused' };
    const style = getComputedStyle(el);
    return {
      visible:
        el.matches(':focus-visible') &&
        style.outlineStyle !== 'none' &&
        Number.parseFloat(style.outlineWidth) >= 2,
      outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
    };
  });
  assert.ok(focus.visible, `focus on ${what} is not visible (outline: ${focus.outline})`);
}

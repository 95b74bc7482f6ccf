/**
 * The incident list in a real browser (Chromium) over 10,000 incidents: only the rows in
 * view are in the DOM, scrolling reaches the last one, filters apply to all of them, and
 * untrusted titles show their invisible characters as markers. The API is answered by
 * the test (no SOC makes 10,000 incidents in a test's time).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Incident } from '../api/types.js';
import { artifactsDir, launchBrowser, screenshot, seriousAxeViolations } from './browser.js';
import { FIXTURE_ORIGIN, serveConsole } from './static-console.js';

const N = 10_000;
const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
const now = Date.now();
const incidents: Incident[] = Array.from({ length: N }, (_, i) => ({
  id: `inc-${String(i).padStart(5, '0')}`,
  status: i % 50 === 0 ? 'awaiting-approval' : 'closed',
  title:
    i === 1
      ? 'Shell in web-1: user\u202e gnp.exe \u200b(hidden)'
      : `T1059 shell spawned in web-${i}`,
  severity: SEVERITIES[i % 4]!,
  createdAt: now - i * 1000,
  updatedAt: now - i * 1000,
  findings: i === 2 ? 500 : 1,
  ...(i === 2
    ? {
        rollup: {
          storms: { 'k8s-audit:exec': 499 },
          count: 499,
          firstAt: now - 60_000,
          lastAt: now,
          maxScore: 0.97,
          entities: { 'workload:shop/web': 499 },
          latest: [],
        },
      }
    : {}),
}));

let browser: Browser;
let page: Page;
const dir = artifactsDir('incident-list');

before(async () => {
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await serveConsole(context, (method, path) => {
    if (path === '/v1/session')
      return {
        json: { user: { id: 'ana', role: 'analyst' }, csrfToken: 'c', expiresAt: now + 3_600_000 },
      };
    if (path === '/v1/incidents') return { json: { incidents } };
    if (path === '/v1/incidents/events')
      return { body: 'retry: 600000\n\n', contentType: 'text/event-stream' };
    if (path === '/v1/session/certificate' && method === 'POST')
      return { status: 503, json: { code: 'X', message: 'not in this test' } };
    return undefined;
  });
  page = await context.newPage();
  await page.goto(`${FIXTURE_ORIGIN}/incidents`);
  await page
    .getByTestId('incident-count')
    .filter({ hasText: `${N} of ${N}` })
    .waitFor();
  console.log(`screenshots: ${dir}`);
});
after(() => browser?.close());

const renderedRows = (p: Page) =>
  p.locator('[data-testid="incident-scroller"] [role="row"]').count();

test('10,000 incidents are listed with only the rows in view in the DOM', async () => {
  const rows = await renderedRows(page);
  assert.ok(rows > 5 && rows < 80, `${rows} rows rendered for ${N} incidents`);
  assert.equal(
    await page.getByRole('table', { name: 'Incidents' }).getAttribute('aria-rowcount'),
    String(N + 1),
  );
  await screenshot(page, dir, 'incidents-10000');
});

test('scrolling to the end shows the last incident, still with few rows in the DOM', async () => {
  const scroller = page.getByTestId('incident-scroller');
  await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
  const last = await page
    .locator('[role="row"][aria-rowindex]')
    .evaluateAll((rows) => Math.max(...rows.map((r) => Number(r.getAttribute('aria-rowindex')))));
  assert.equal(last, N + 1);
  assert.ok((await renderedRows(page)) < 80);
  await scroller.evaluate((el) => (el.scrollTop = 0));
});

test('keyboard: arrow keys move between rows and End reaches the last one', async () => {
  await page.locator('[data-index="0"] a').focus();
  await page.keyboard.press('ArrowDown');
  // Focus moves on the next animation frame, once the row is rendered.
  await page.waitForFunction(
    () => document.activeElement?.closest('[data-index]')?.getAttribute('data-index') === '1',
  );
  await page.keyboard.press('End');
  await page.waitForFunction(
    (n) =>
      document.activeElement?.closest('[data-index]')?.getAttribute('data-index') === String(n - 1),
    N,
  );
  await page.keyboard.press('Home');
});

test('a storm is one row with its count', async () => {
  await page.getByLabel('storms only').check();
  await page
    .getByTestId('incident-count')
    .filter({ hasText: `1 of ${N}` })
    .waitFor();
  assert.match((await page.locator('[data-index="0"]').textContent()) ?? '', /storm ×500/);
  await page.getByLabel('storms only').uncheck();
});

test('filters apply to all 10,000 incidents', async () => {
  await page.getByRole('checkbox', { name: 'critical' }).check();
  await page
    .getByTestId('incident-count')
    .filter({ hasText: `${N / 4} of ${N}` })
    .waitFor();
  await page.getByLabel('Search').fill('web-9996');
  await page
    .getByTestId('incident-count')
    .filter({ hasText: `1 of ${N}` })
    .waitFor();
  await page.getByRole('checkbox', { name: 'critical' }).uncheck();
  await page.getByLabel('Search').fill('');
});

test('an untrusted title shows its bidi override and zero-width space as markers, never applied', async () => {
  await page.getByLabel('Search').fill('inc-00001');
  await page
    .getByTestId('incident-count')
    .filter({ hasText: `1 of ${N}` })
    .waitFor();
  const row = page.locator('[data-index="0"]');
  const text = (await row.locator('.title').textContent()) ?? '';
  assert.match(text, /user⟨RLO⟩ gnp\.exe ⟨ZWSP⟩\(hidden\)/);
  assert.equal(/[\u202e\u200b]/.test(text), false, 'no raw control character reached the DOM');
  await page.getByLabel('Search').fill('');
});

test('the list page has no serious or critical axe-core violation', async () => {
  assert.deepEqual(await seriousAxeViolations(page), []);
});

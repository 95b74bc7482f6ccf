/**
 * The console end to end over the real SOC: `vigil up` (six agent processes, mTLS A2A,
 * OPA, the offline analyser); Debian's Chromium, driven by playwright-core, signs in with
 * a password, watches the demo's incidents arrive without a reload, opens one, approves an
 * escalation with a key made in the page and sees the signed approval verified and the
 * action executed, approves and rejects two more with the keyboard alone, checks that a
 * viewer can neither see decision buttons nor approve through the API, sees an undecided escalation
 * expire and read as rejected, and checks every page with axe-core and photographs it
 * (the directory is printed).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startSoc, type Soc } from '@vigil/cli/testing';
import type { Approval, IncidentDetail } from '../api/types.js';
import {
  artifactsDir,
  assertVisibleFocus,
  launchBrowser,
  screenshot,
  seriousAxeViolations,
  tabTo,
} from './browser.js';
import { serveConsoleBeside } from './static-console.js';

const SCENARIO = fileURLToPath(
  new URL('../../../../examples/soc-demo/scenario.ndjson', import.meta.url),
);
/** Long enough for the steps before it on a loaded CI machine, short enough to watch one expire. */
const APPROVAL_TTL_SECONDS = 150;
const dir = artifactsDir('console');

interface Person {
  readonly id: string;
  readonly role: 'analyst' | 'viewer';
  readonly password: string;
}

async function api<T>(soc: Soc, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${soc.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${soc.adminToken}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
  return (await response.json()) as T;
}

/**
 * A fresh browser context (its own cookies and IndexedDB) on the console. Until the
 * coordinator serves the console's files itself, the browser answers them from dist/
 * and sends only `/v1/*` to the real API.
 */
async function newContext(browser: Browser, soc: Soc, served: boolean): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  if (!served) await serveConsoleBeside(context, soc.apiUrl);
  return context;
}

async function signIn(browser: Browser, soc: Soc, served: boolean, person: Person): Promise<Page> {
  const context = await newContext(browser, soc, served);
  const page = await context.newPage();
  await page.goto(`${soc.apiUrl}/`);
  await page.getByLabel('User').fill(person.id);
  await page.getByLabel('Password').fill(person.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Incidents' }).waitFor();
  return page;
}

async function checkPage(page: Page, name: string): Promise<void> {
  await screenshot(page, dir, name);
  assert.deepEqual(await seriousAxeViolations(page), [], `axe-core on the ${name} page`);
}

test('the console over the real SOC: sign in, live incidents, approvals signed in the browser, viewer refused, expiry shown as rejected, axe on every page', async (t: TestContext) => {
  const soc = await startSoc(t, { approvalTtlSeconds: APPROVAL_TTL_SECONDS });
  const served = ((await fetch(`${soc.apiUrl}/`)).headers.get('content-type') ?? '').includes(
    'text/html',
  );
  console.log(`console files served by the coordinator: ${served}`);
  if (served)
    assert.match(
      soc.up.output(),
      /console\S*\s.*http:\/\/127\.0\.0\.1:\d+/i,
      'vigil up prints the console URL',
    );
  console.log(`console: ${soc.apiUrl}\nscreenshots: ${dir}`);
  const ana: Person = { id: 'ana', role: 'analyst', password: randomBytes(12).toString('hex') };
  const vic: Person = { id: 'vic', role: 'viewer', password: randomBytes(12).toString('hex') };
  for (const person of [ana, vic])
    await api(soc, 'POST', '/v1/users', {
      id: person.id,
      role: person.role,
      password: person.password,
    });

  const browser = await launchBrowser();
  t.after(() => browser.close());

  let page!: Page;
  await t.test('signs in with a password; the login page is accessible', async () => {
    const context = await newContext(browser, soc, served);
    const login = await context.newPage();
    await login.goto(`${soc.apiUrl}/`);
    await login.getByRole('heading', { name: 'Sign in to Vigil' }).waitFor();
    // First load on loopback, cold (a new context has an empty cache): printed for
    // docs/console.md, not asserted (tests never assert timing).
    const load = await login.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const paint = performance.getEntriesByName('first-contentful-paint')[0];
      const scripts = performance
        .getEntriesByType('resource')
        .filter((r) => r.name.endsWith('.js')) as PerformanceResourceTiming[];
      return {
        firstContentfulPaintMs: Math.round(paint?.startTime ?? -1),
        domContentLoadedMs: Math.round(nav.domContentLoadedEventEnd),
        loadMs: Math.round(nav.loadEventEnd),
        scriptBytesTransferred: scripts.reduce((n, r) => n + r.transferSize, 0),
      };
    });
    console.log(`first load: ${JSON.stringify(load)}`);
    await checkPage(login, 'login');
    await login.getByLabel('User').fill(ana.id);
    await login.getByLabel('Password').fill('not-the-password');
    await login.getByRole('button', { name: 'Sign in' }).click();
    await login.getByRole('alert').waitFor();
    await context.close();
    page = await signIn(browser, soc, served, ana);
  });

  await t.test("the demo's incidents appear live, without a reload", async () => {
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    assert.equal(await soc.replay(SCENARIO), 3000);
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid="incident-scroller"] [role="row"]').length > 0,
      undefined,
      { timeout: 180_000 },
    );
    await soc.settled();
    await page
      .locator('[data-testid="incident-scroller"]')
      .getByText('awaiting-approval')
      .first()
      .waitFor({ timeout: 60_000 });
    assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42);
    await checkPage(page, 'incidents');
  });

  const pending = () =>
    api<{ approvals: Approval[] }>(soc, 'GET', '/v1/approvals?status=pending').then((r) =>
      r.approvals.sort((a, b) => a.requestedAt - b.requestedAt),
    );
  const escalations = await pending();
  assert.ok(
    escalations.length >= 4,
    `the demo escalates at least four actions (${escalations.length})`,
  );
  // The last escalation is never decided: it expires.
  const [first, second, third] = escalations as [Approval, Approval, Approval];
  const undecided = escalations.at(-1)!;

  await t.test(
    'opens an incident: analysis, actions with verdicts, event fields as text, timeline',
    async () => {
      await page.locator('[data-testid="incident-scroller"] a').first().click();
      await page.getByRole('heading', { name: 'Analysis' }).waitFor();
      await page.getByRole('heading', { name: 'Proposed actions' }).waitFor();
      await page.getByRole('heading', { name: 'Timeline' }).waitFor();
      await checkPage(page, 'incident');
    },
  );

  await t.test(
    'keyboard only: approves one escalation with Enter and rejects another with Space',
    async () => {
      for (const [approval, decision, key] of [
        [second, 'approve', 'Enter'],
        [third, 'reject', 'Space'],
      ] as const) {
        await page.goto(`${soc.apiUrl}/approvals`);
        await page.getByRole('heading', { name: /^Waiting for a decision/ }).waitFor();
        await tabTo(page, `a[href="/approvals/${encodeURIComponent(approval.id)}"]`);
        await page.keyboard.press('Enter');
        await page.getByTestId('digest').filter({ hasText: approval.actionDigest }).waitFor();
        await page.getByText(/spiffe:\/\/[^/]+\/user\/ana/).waitFor();
        await tabTo(page, '#reason');
        await page.keyboard.type(`${decision} from the keyboard`);
        await tabTo(page, `button.${decision}`);
        await page.keyboard.press(key);
        await page.getByTestId('decision').filter({ hasText: 'by user:ana' }).waitFor();
        await assertVisibleFocus(page, 'the decision outcome');
        const { approval: decided } = await api<{ approval: Approval }>(
          soc,
          'GET',
          `/v1/approvals/${encodeURIComponent(approval.id)}`,
        );
        assert.equal(decided.status, decision === 'approve' ? 'approved' : 'rejected');
        assert.equal(decided.decision?.reason, `${decision} from the keyboard`);
      }
    },
  );

  // Before the approval, whose execution can take minutes on a loaded machine: the
  // undecided escalation must still be pending here.
  await t.test(
    'a viewer sees the approval but cannot approve, in the page or through the API',
    async () => {
      const viewer = await signIn(browser, soc, served, vic);
      await viewer.goto(`${soc.apiUrl}/approvals/${encodeURIComponent(undecided.id)}`);
      await viewer.getByTestId('viewer-note').waitFor();
      assert.equal(await viewer.getByRole('button', { name: /Approve/ }).count(), 0);
      const refused = await viewer.evaluate(async (id) => {
        const session = (await (await fetch('/v1/session')).json()) as { csrfToken: string };
        const response = await fetch(`/v1/approvals/${encodeURIComponent(id)}/approve`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-vigil-csrf': session.csrfToken },
          body: JSON.stringify({ reason: 'viewer', approval: 'x.y.z' }),
        });
        return { status: response.status, body: (await response.json()) as { code: string } };
      }, undecided.id);
      assert.equal(refused.status, 403);
      assert.equal(refused.body.code, 'VIGIL_APPROVAL_FORBIDDEN');
      await viewer.context().close();
    },
  );

  await t.test('approves an escalation: signed in the browser, verified, executed', async () => {
    await page.goto(`${soc.apiUrl}/approvals/${encodeURIComponent(first.id)}`);
    await page.getByTestId('digest').filter({ hasText: first.actionDigest }).waitFor();
    await page
      .getByTestId('countdown')
      .filter({ hasText: /expires in/ })
      .waitFor();
    await checkPage(page, 'approval');
    await page.getByLabel(/^Reason/).fill('confirmed with the storefront owner');
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await page.getByTestId('decision').filter({ hasText: 'by user:ana' }).waitFor();
    const { approval } = await api<{ approval: Approval }>(
      soc,
      'GET',
      `/v1/approvals/${encodeURIComponent(first.id)}`,
    );
    assert.equal(approval.status, 'approved');
    assert.equal(approval.decision?.by, 'user:ana');
    // The decision carries ana's own signature: a JWS whose issuer is her user identity.
    const [, payload] = (approval.decision?.approval ?? '').split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as {
      iss: string;
      action_digest: string;
      decision: string;
    };
    assert.match(claims.iss, /^spiffe:\/\/[^/]+\/user\/ana$/);
    assert.equal(claims.decision, 'approve');
    const executed = await soc.waitUntil('the approved action executed', async () => {
      const detail = await api<IncidentDetail>(
        soc,
        'GET',
        `/v1/incidents/${encodeURIComponent(first.incidentId)}`,
      );
      const item = detail.summary?.items.find((i) => i.proposal.id === first.proposalId);
      return item?.outcome === 'executed' ? item : undefined;
    });
    assert.equal(executed.outcome, 'executed');
    await page.getByRole('button', { name: 'See the execution in the incident' }).click();
    await page.getByText('executed').first().waitFor();
  });

  await t.test('an escalation nobody decides expires and shows as rejected', async () => {
    await page.goto(`${soc.apiUrl}/approvals/${encodeURIComponent(undecided.id)}`);
    await soc.waitUntil('the undecided escalation to expire', async () => {
      const { approval } = await api<{ approval: Approval }>(
        soc,
        'GET',
        `/v1/approvals/${encodeURIComponent(undecided.id)}`,
      );
      return approval.status === 'expired' ? true : undefined;
    });
    await page.reload();
    await page
      .getByTestId('countdown')
      .filter({ hasText: /Expired: rejected/ })
      .waitFor();
    await screenshot(page, dir, 'approval-expired');
  });

  await t.test('every other page is accessible and photographed', async () => {
    for (const [path, heading, name] of [
      ['/approvals', 'Approvals', 'approvals'],
      ['/agents', 'Agents', 'agents'],
      ['/compliance', 'Compliance', 'compliance'],
      ['/audit', 'Audit', 'audit'],
      ['/policies', 'Policies', 'policies'],
    ] as const) {
      await page.goto(`${soc.apiUrl}${path}`);
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await page.waitForFunction(
        () => !document.querySelector('[role="status"]')?.textContent?.startsWith('Loading'),
      );
      await checkPage(page, name);
    }
  });
});

/**
 * The console's read pages over the real SOC: `vigil up` (six agent processes), the demo
 * replayed, then a viewer in Debian's Chromium opens Agents, Compliance, Audit, Policies
 * and an incident's timeline. Each page must show what the operations API answers for
 * this run — the registry and supervisor's figures, the metrics and the reduction, the
 * verification and entries, the policy rules and their tests, the trace — read here
 * through the API with the admin token and compared, and pass axe-core. Screenshots go to
 * apps/console/test-artifacts/console-pages.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { startSoc, type Soc } from '@vigil/cli/testing';
import type {
  AgentView,
  AuditEntry,
  AuditVerification,
  Compliance,
  Policies,
  Trace,
} from '../api/types.js';
import { artifactsDir, launchBrowser, screenshot, seriousAxeViolations } from './browser.js';

const SCENARIO = fileURLToPath(
  new URL('../../../../examples/soc-demo/scenario.ndjson', import.meta.url),
);
const dir = artifactsDir('console-pages');

async function api<T>(soc: Soc, path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${soc.apiUrl}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${soc.adminToken}`,
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
  });
  assert.ok(response.ok, `${path}: ${response.status} ${await response.clone().text()}`);
  return (await response.json()) as T;
}

async function checkPage(page: Page, name: string): Promise<void> {
  await screenshot(page, dir, name);
  assert.deepEqual(await seriousAxeViolations(page), [], `axe-core on the ${name} page`);
}

/** Opens a page of the console and waits until nothing on it is still loading. */
async function open(page: Page, soc: Soc, path: string, heading: string): Promise<void> {
  await page.goto(`${soc.apiUrl}${path}`);
  await page.getByRole('heading', { name: heading, exact: true }).waitFor();
  await page.waitForFunction(
    () =>
      ![...document.querySelectorAll('[role="status"]')].some((s) =>
        s.textContent?.startsWith('Loading'),
      ),
    undefined,
    { timeout: 120_000 },
  );
  assert.equal(await page.getByRole('alert').count(), 0, `${path} shows an error`);
}

const cells = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll((rows) => rows.map((r) => r.textContent?.trim() ?? ''));

test('the read pages show the real SOC: agents, compliance, audit, policies, incident timeline — to a viewer, accessible', async (t: TestContext) => {
  const soc = await startSoc(t);
  assert.match(
    (await fetch(`${soc.apiUrl}/agents`, { headers: { accept: 'text/html' } })).headers.get(
      'content-type',
    ) ?? '',
    /text\/html/,
    'the coordinator serves the console, deep links included',
  );
  assert.equal(await soc.replay(SCENARIO), 3000);
  const incidents = await soc.settled();
  assert.ok(incidents.length > 0, 'the demo opens incidents');

  const vic = { id: 'vic', role: 'viewer', password: randomBytes(12).toString('hex') };
  await api(soc, '/v1/users', { method: 'POST', body: JSON.stringify(vic) });
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${soc.apiUrl}/`);
  await page.getByLabel('User').fill(vic.id);
  await page.getByLabel('Password').fill(vic.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Incidents' }).waitFor();

  await t.test(
    'Agents: every agent with its identity, health, restarts and certificate',
    async () => {
      const { agents } = await api<{ agents: AgentView[] }>(soc, '/v1/agents');
      await open(page, soc, '/agents', 'Agents');
      const rows = await cells(page, '[data-testid="agent-health"] tbody tr');
      assert.equal(rows.length, agents.length);
      for (const a of agents) {
        const row = rows.find((r) => r.startsWith(a.name));
        assert.ok(row, `a health row for ${a.name}`);
        assert.ok(row.includes(a.health), `${a.name} shows ${a.health}: ${row}`);
        assert.equal(a.health, 'healthy', `${a.name} runs`);
        assert.match(row, /expires in|\d{4}/, `${a.name} shows its certificate expiry`);
      }
      assert.match(
        (await page.getByTestId('supervisor').textContent()) ?? '',
        /supervisor pid \d+ running/,
      );
      const coordinator = agents.find((a) => a.name === 'coordinator')!;
      const card = page
        .locator('details.card')
        .filter({ has: page.locator('summary strong', { hasText: /^coordinator$/ }) });
      await card.locator('summary').click();
      await card.getByText(coordinator.spiffeId).waitFor();
      const facts = (await card.textContent()) ?? '';
      for (const name of [...coordinator.callers, ...coordinator.calls])
        assert.ok(facts.includes(name), `the coordinator's card names ${name}`);
      for (const skill of coordinator.skills)
        assert.ok(facts.includes(skill.id), `the coordinator's card names ${skill.id}`);
      await checkPage(page, 'agents');
    },
  );

  await t.test(
    'Compliance: the reduction, the metrics and the five-signal matrix of this run',
    async () => {
      const c = await api<Compliance>(soc, '/v1/compliance');
      assert.equal(c.funnel.events, 3000, 'the detector scored every replayed event');
      assert.ok(c.funnel.findings > 0 && c.funnel.findings < 3000);
      assert.equal(c.funnel.incidents, incidents.length);
      await open(page, soc, '/compliance', 'Compliance');
      const funnel = (await page.getByTestId('funnel').textContent()) ?? '';
      assert.match(funnel, /3,000 events scored/);
      assert.match(funnel, new RegExp(`${c.funnel.findings.toLocaleString('en')} findings`));
      assert.match(funnel, new RegExp(`${c.funnel.incidents.toLocaleString('en')} incidents`));
      const matrix = await cells(page, '[data-testid="signal-matrix"] tbody tr');
      assert.equal(matrix.length, c.fiveSignal.agents.length);
      for (const row of c.fiveSignal.agents) {
        const shown = matrix.find((m) => m.startsWith(row.agent))!;
        assert.equal(
          (shown.match(/✓ observed/g) ?? []).length,
          Object.values(row.signals).filter(Boolean).length,
          `${row.agent}'s signals`,
        );
      }
      assert.match(
        (await page.getByTestId('metrics-now').textContent()) ?? '',
        new RegExp(`${c.fiveSignal.covered} of ${c.fiveSignal.total} agents`),
      );
      assert.equal(await page.locator('figure.chart').count(), 3);
      await checkPage(page, 'compliance');
    },
  );

  await t.test('Audit: the latest verification, and a search by incident', async () => {
    const v = await api<AuditVerification>(soc, '/v1/audit/verification');
    assert.equal(v.ok, true, JSON.stringify(v.firstProblem));
    await open(page, soc, '/audit', 'Audit');
    assert.match(
      (await page.getByTestId('verification').textContent()) ?? '',
      /^Intact: [\d,]+ entries/,
    );
    assert.equal(await page.locator('[data-testid="audit-entries"] tbody tr').count(), 100);
    const incident = incidents[0]!;
    const { entries } = await api<{ entries: AuditEntry[] }>(
      soc,
      `/v1/audit?incident=${encodeURIComponent(incident.id)}`,
    );
    assert.ok(entries.length > 0);
    await page.getByLabel('Value').fill(incident.id);
    await page.getByRole('button', { name: 'Search' }).click();
    await page
      .locator('[data-testid="audit-entries"] caption')
      .filter({ hasText: `for incident ${incident.id}` })
      .waitFor();
    const rows = await cells(page, '[data-testid="audit-entries"] tbody tr');
    assert.equal(rows.length, entries.length);
    assert.ok(rows.every((r) => r.includes(incident.id)));
    await checkPage(page, 'audit');
  });

  await t.test(
    'Policies: the loaded revision, every rule with its tests and coverage',
    async () => {
      const p = await api<Policies>(soc, '/v1/policies');
      assert.match(p.revision ?? '', /^sha256:/);
      assert.equal(p.tests?.failed, 0);
      await open(page, soc, '/policies', 'Policies');
      await page.getByText(p.revision!).waitFor();
      const rows = await cells(page, '[data-testid="policy-rules"] tbody tr');
      assert.equal(rows.length, p.rules.length);
      assert.ok(rows.some((r) => r.startsWith('deny.vigil-namespace')));
      assert.equal(
        (await page.getByTestId('rule-coverage').textContent())?.trim(),
        `${p.rules.length} of ${p.rules.length} rules tested (100 %)`,
      );
      await checkPage(page, 'policies');
    },
  );

  await t.test("Incident: the timeline is the incident's vigil trace", async () => {
    // An escalated incident went through analysis and review: its chain has every step kind.
    const incident = incidents.find((i) => i.status === 'awaiting-approval') ?? incidents[0]!;
    const trace = await api<Trace>(soc, `/v1/incidents/${encodeURIComponent(incident.id)}/trace`);
    await open(page, soc, `/incidents/${encodeURIComponent(incident.id)}`, 'Timeline');
    const steps = await cells(page, '[data-testid="timeline"] > li > p');
    assert.equal(steps.length, trace.steps.length);
    trace.steps.forEach((s, i) => assert.ok(steps[i]!.includes(s.entry.kind), `step ${i}`));
    assert.ok(trace.steps.some((s) => s.entry.kind === 'analysis'));
    assert.ok(trace.steps.some((s) => s.entry.kind === 'verdict'));
    await page.getByTestId('timeline-summary').scrollIntoViewIfNeeded();
    await checkPage(page, 'incident-timeline');
  });
});

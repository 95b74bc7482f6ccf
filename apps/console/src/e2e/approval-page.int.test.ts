/**
 * The incident and approval pages in a real browser (Chromium) over API answers typed by
 * the generated OpenAPI types: a reason is mandatory before anything is signed, a viewer
 * gets no decision buttons, an expired escalation reads as rejected, event fields show
 * their hidden characters as markers, and both pages pass axe-core. The SOC itself is
 * exercised by console.int.test.ts; this covers the pages' own rules quickly.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Approval, Incident, IncidentDetail, IncidentSummary, Trace } from '../api/types.js';
import { artifactsDir, launchBrowser, seriousAxeViolations, screenshot } from './browser.js';
import { FIXTURE_ORIGIN, serveConsole } from './static-console.js';

const now = Date.now();
const action = {
  type: 'isolate-pod' as const,
  target: { namespace: 'shop', pod: 'storefront-7d9f' },
  parameters: { policyName: 'vigil-isolate-storefront-7d9f' },
};
const review = {
  decision: 'escalate' as const,
  action,
  verdict: 'eyJ.x.y',
  reasons: ['target carries tier=customer-facing: always a human'],
  rules: ['soc.escalate.customer_facing'],
  revision: 'sha256:0123456789abcdef0123',
  confidence: 0.82,
  rounds: 1,
};
const incident: Incident = {
  id: 'inc-miner',
  status: 'awaiting-approval',
  title: 'T1496 cryptominer in shop/storefront',
  severity: 'high',
  createdAt: now - 90_000,
  updatedAt: now - 60_000,
  findings: 3,
};
const approval = (over: Partial<Approval>): Approval => ({
  id: 'inc-miner/p1',
  incidentId: incident.id,
  proposalId: 'p1',
  action,
  actionDigest: 'sha256:5e1f0c8a9d2b7e4f6a3c1d0e9f8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a',
  review,
  status: 'pending',
  requestedAt: now - 60_000,
  expiresAt: now + 600_000,
  ...over,
});
const summary: IncidentSummary = {
  incidentId: incident.id,
  status: 'awaiting-approval',
  finding: {
    id: 'finding-e1',
    detectedAt: now - 90_000,
    score: 0.91,
    threshold: 0.6,
    modelVersion: 'if-1',
    topFeatures: [],
    event: {
      id: 'e1',
      time: now - 91_000,
      format: 'falco',
      classUid: 1007,
      activity: 'process',
      severityId: 4,
      actor: { user: 'www-data\u202e\u2066' },
      tags: ['container'],
      raw: { output: 'xmrig --donate-level 1\u001b[2J\u200b' },
    },
    entities: { workload: 'shop/storefront', addresses: [] },
  },
  analysis: {
    techniques: ['T1496'],
    severity: 'high',
    confidence: 0.82,
    summary: 'A cryptominer runs in the storefront pod.',
    rationale: 'The process name and its pool connection match a known miner.',
    recommendedResponses: ['isolate-pod'],
    source: 'rule-based',
  },
  items: [
    {
      proposal: { id: 'p1', action, blastRadius: { pods: 1, replicas: 3 }, asset: {} },
      review,
      outcome: 'awaiting-approval',
    },
  ],
  skipped: [],
  degraded: [],
};

let browser: Browser;
const dir = artifactsDir('approval-page');

async function open(
  role: 'analyst' | 'viewer',
  approvals: Approval[],
  path: string,
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await serveConsole(context, (_method, url) => {
    const [pathname] = url.split('?');
    if (pathname === '/v1/session')
      return { json: { user: { id: 'ana', role }, csrfToken: 'c', expiresAt: now + 3_600_000 } };
    if (pathname === '/v1/approvals') return { json: { approvals } };
    const one = approvals.find((a) => pathname === `/v1/approvals/${encodeURIComponent(a.id)}`);
    if (one) return { json: { approval: one } };
    if (pathname === `/v1/incidents/${incident.id}`) {
      const detail: IncidentDetail = { incident, summary, approvals };
      return { json: detail };
    }
    if (pathname === `/v1/incidents/${incident.id}/trace`) {
      const trace: Trace = {
        id: incident.id,
        incidentIds: [incident.id],
        traceIds: [],
        startedAt: new Date(now).toISOString(),
        durationMs: 0,
        entries: 0,
        steps: [],
      };
      return { json: trace };
    }
    return undefined;
  });
  const page = await context.newPage();
  await page.goto(`${FIXTURE_ORIGIN}${path}`);
  return page;
}

before(async () => {
  browser = await launchBrowser();
  console.log(`screenshots: ${dir}`);
});
after(() => browser?.close());

test('the approval page shows the exact action, its digest, blast radius and a countdown', async () => {
  const page = await open(
    'analyst',
    [approval({})],
    `/approvals/${encodeURIComponent('inc-miner/p1')}`,
  );
  await page
    .getByTestId('digest')
    .filter({ hasText: approval({}).actionDigest })
    .waitFor();
  await page
    .getByTestId('countdown')
    .filter({ hasText: /^expires in (9|10)m/ })
    .waitFor();
  assert.match((await page.getByLabel('Blast radius').textContent()) ?? '', /"replicas": 3/);
  assert.deepEqual(await seriousAxeViolations(page), []);
  await screenshot(page, dir, 'approval');
  await page.context().close();
});

test('nothing is signed or sent without a reason', async () => {
  const page = await open(
    'analyst',
    [approval({})],
    `/approvals/${encodeURIComponent('inc-miner/p1')}`,
  );
  // The signing certificate is requested at sign-in by design; a decision is the only
  // thing that must wait for a reason.
  const decisions: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname.startsWith('/v1/approvals'))
      decisions.push(r.url());
  });
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  // The browser's own required-field check, then ours if it is bypassed with spaces.
  await page.getByLabel(/^Reason/).fill('   ');
  await page.getByRole('button', { name: 'Reject' }).click();
  await page.getByRole('alert').filter({ hasText: 'A reason is required' }).waitFor();
  assert.deepEqual(decisions, []);
  await page.context().close();
});

test('a viewer gets no decision buttons', async () => {
  const page = await open(
    'viewer',
    [approval({})],
    `/approvals/${encodeURIComponent('inc-miner/p1')}`,
  );
  await page.getByTestId('viewer-note').waitFor();
  assert.equal(await page.getByRole('button', { name: /Approve|Reject/ }).count(), 0);
  await page.context().close();
});

test('an expired escalation reads as rejected, with no decision buttons', async () => {
  const expired = approval({
    status: 'expired',
    expiresAt: now - 1000,
    decision: { decision: 'expired', by: 'system', reason: 'no decision within 3600 s', at: now },
  });
  const page = await open('analyst', [expired], `/approvals/${encodeURIComponent(expired.id)}`);
  await page
    .getByTestId('countdown')
    .filter({ hasText: 'Expired: rejected without action' })
    .waitFor();
  assert.equal(await page.getByRole('button', { name: /Approve|Reject/ }).count(), 0);
  await screenshot(page, dir, 'approval-expired');
  await page.context().close();
});

test('a pending escalation whose time ran out in the page is shown expired at once', async () => {
  const lapsing = approval({ expiresAt: now - 1 });
  const page = await open('analyst', [lapsing], `/approvals/${encodeURIComponent(lapsing.id)}`);
  await page.getByTestId('countdown').filter({ hasText: 'Expired' }).waitFor();
  assert.equal(await page.getByRole('button', { name: /Approve|Reject/ }).count(), 0);
  await page.context().close();
});

test('the incident page shows event fields with hidden characters as markers', async () => {
  const page = await open('analyst', [approval({})], `/incidents/${incident.id}`);
  const event = page.getByLabel('Event fields');
  await event.waitFor();
  const text = (await event.textContent()) ?? '';
  assert.match(text, /www-data⟨RLO⟩⟨LRI⟩/);
  assert.match(text, /xmrig --donate-level 1⟨ESC⟩\[2J⟨ZWSP⟩/);
  for (const hidden of ['\u202e', '\u2066', '\u001b', '\u200b'])
    assert.equal(
      text.includes(hidden),
      false,
      `U+${hidden.codePointAt(0)!.toString(16)} reached the page`,
    );
  await page.getByRole('heading', { name: 'Proposed actions' }).waitFor();
  assert.deepEqual(await seriousAxeViolations(page), []);
  await screenshot(page, dir, 'incident');
  await page.context().close();
});

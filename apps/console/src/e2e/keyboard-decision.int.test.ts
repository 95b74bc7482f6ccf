/**
 * Keyboard only, in a real browser (Chromium): an analyst reaches an escalation from the
 * approvals list with Tab, opens it with Enter, tabs to the reason, types it and approves
 * with Enter — or rejects with Space — seeing where the focus is at every step. The
 * decision is signed in the page by a key certified through the real local CA
 * (`@vigil/pki`, as the coordinator's certificate route does) and the test verifies the
 * signature the page posted (`@vigil/policy`), as the coordinator would.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { actionDigest } from '@vigil/approval-signing';
import { ensureCertificateAuthority, issueUserCertificateForCsr } from '@vigil/pki';
import { verifyApproval } from '@vigil/policy';
import type { Approval } from '../api/types.js';
import {
  artifactsDir,
  assertVisibleFocus,
  launchBrowser,
  screenshot,
  seriousAxeViolations,
  tabTo,
} from './browser.js';
import { FIXTURE_ORIGIN, serveConsole } from './static-console.js';

const TRUST_DOMAIN = 'soc.test';
const ANA = `spiffe://${TRUST_DOMAIN}/user/ana`;
const now = Date.now();
const review = {
  decision: 'escalate' as const,
  reasons: ['target carries tier=customer-facing: always a human'],
  rules: ['soc.escalate.customer_facing'],
  revision: 'sha256:0123456789abcdef0123',
  confidence: 0.82,
  rounds: 1,
  verdict: 'eyJ.x.y',
};

async function pending(id: string, pod: string): Promise<Approval> {
  const action = {
    type: 'isolate-pod' as const,
    target: { namespace: 'shop', pod },
    parameters: { policyName: `vigil-isolate-${pod}` },
  };
  return {
    id,
    incidentId: id.split('/')[0]!,
    proposalId: id.split('/')[1]!,
    action,
    actionDigest: await actionDigest(action),
    review: { ...review, action },
    status: 'pending',
    requestedAt: now - 60_000,
    expiresAt: now + 600_000,
  };
}

let browser: Browser;
let stateDir: string;
let caPem: string;
const dir = artifactsDir('keyboard');

before(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'vigil-keyboard-'));
  caPem = (await ensureCertificateAuthority(stateDir, TRUST_DOMAIN)).certPem;
  browser = await launchBrowser();
  console.log(`screenshots: ${dir}`);
});
after(async () => {
  await browser?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

interface Posted {
  readonly path: string;
  readonly body: { reason: string; approval: string };
}

/** The console as analyst `ana` over approvals that change when decided; what the page posts is kept. */
async function open(approvals: Approval[]): Promise<{ page: Page; posted: Posted[] }> {
  const posted: Posted[] = [];
  const byId = new Map(approvals.map((a) => [a.id, a]));
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await serveConsole(context, async (method, url, body) => {
    const [pathname = ''] = url.split('?');
    if (pathname === '/v1/session')
      return {
        json: { user: { id: 'ana', role: 'analyst' }, csrfToken: 'c', expiresAt: now + 3_600_000 },
      };
    if (pathname === '/v1/session/certificate' && method === 'POST') {
      const issued = await issueUserCertificateForCsr(stateDir, TRUST_DOMAIN, {
        userId: 'ana',
        role: 'analyst',
        csrPem: (body as { csr: string }).csr,
      });
      return {
        json: {
          certificate: issued.certPem,
          ca: issued.caPem,
          spiffeId: issued.spiffeId,
          role: issued.role,
          notAfter: issued.notAfter.getTime(),
        },
      };
    }
    if (pathname === '/v1/approvals') return { json: { approvals: [...byId.values()] } };
    const decided = /^\/v1\/approvals\/([^/]+)\/(approve|reject)$/.exec(pathname);
    if (decided && method === 'POST') {
      const id = decodeURIComponent(decided[1]!);
      const request = body as Posted['body'];
      posted.push({ path: pathname, body: request });
      const decision = decided[2] as 'approve' | 'reject';
      const next: Approval = {
        ...byId.get(id)!,
        status: decision === 'approve' ? 'approved' : 'rejected',
        decision: {
          decision,
          by: 'user:ana',
          reason: request.reason,
          approval: request.approval,
          at: Date.now(),
        },
      };
      byId.set(id, next);
      return { json: { approval: next } };
    }
    const one = [...byId.values()].find(
      (a) => pathname === `/v1/approvals/${encodeURIComponent(a.id)}`,
    );
    if (one) return { json: { approval: one } };
    return undefined;
  });
  const page = await context.newPage();
  await page.goto(`${FIXTURE_ORIGIN}/approvals`);
  await page.getByRole('heading', { name: /^Waiting for a decision/ }).waitFor();
  return { page, posted };
}

/** Opens the escalation from the list with the keyboard, then decides it: reason, then the button by `key`. */
async function decideByKeyboard(
  page: Page,
  approval: Approval,
  decision: 'approve' | 'reject',
  key: 'Enter' | 'Space',
  reason: string,
): Promise<void> {
  await tabTo(page, `a[href="/approvals/${encodeURIComponent(approval.id)}"]`);
  await page.keyboard.press('Enter');
  await page.getByTestId('digest').filter({ hasText: approval.actionDigest }).waitFor();
  // The opened approval has the focus, so the form is a few Tabs away, not the whole list.
  await page.waitForFunction(() => document.activeElement?.id === 'approval-title');
  await assertVisibleFocus(page, "the approval's title");
  // The signing certificate is issued at sign-in; the form says whose it is once it is.
  await page.getByText(ANA).waitFor();
  await tabTo(page, '#reason');
  await page.keyboard.type(reason);
  await tabTo(page, `button.${decision}`);
  await screenshot(page, dir, `${decision}-focused`);
  await page.keyboard.press(key);
  await page.getByTestId('decision').filter({ hasText: 'by user:ana' }).waitFor();
  // The form is gone with the button that had the focus: the outcome has it now.
  await page.waitForFunction(
    () => document.activeElement?.getAttribute('data-testid') === 'decision',
  );
  await assertVisibleFocus(page, 'the decision outcome');
}

/** What the coordinator checks: the person's signature over this exact action, and this decision. */
async function assertSignedBy(
  posted: Posted,
  approval: Approval,
  decision: 'approve' | 'reject',
  reason: string,
) {
  assert.equal(posted.path, `/v1/approvals/${encodeURIComponent(approval.id)}/${decision}`);
  assert.equal(posted.body.reason, reason);
  const verified = await verifyApproval(posted.body.approval, {
    action: approval.action,
    caPem,
    approvers: [ANA],
    requireApproved: false,
  });
  assert.equal(verified.decision, decision);
  assert.equal(verified.comment, reason);
  assert.equal(verified.approver, ANA);
  assert.equal(verified.actionDigest, approval.actionDigest);
}

test('keyboard only: Tab to the escalation, Enter to open it, Tab to the reason, type it, Enter on Approve; focus visible throughout', async () => {
  const first = await pending('inc-miner/p1', 'storefront-7d9f');
  const second = await pending('inc-shell/p1', 'checkout-55b1');
  // A busy day: a hundred decided approvals listed before the one being decided.
  const decided = await Promise.all(
    Array.from({ length: 100 }, async (_, i) => {
      const old = await pending(`inc-old-${i}/p1`, `web-${i}`);
      return {
        ...old,
        status: 'rejected' as const,
        decision: { decision: 'reject' as const, by: 'user:vic', reason: 'noise', at: now - i },
      };
    }),
  );
  const { page, posted } = await open([first, second, ...decided]);
  await decideByKeyboard(page, first, 'approve', 'Enter', 'miner confirmed, isolate it');
  assert.equal(posted.length, 1);
  await assertSignedBy(posted[0]!, first, 'approve', 'miner confirmed, isolate it');
  assert.deepEqual(await seriousAxeViolations(page), []);
  await screenshot(page, dir, 'approved');
  await page.context().close();
});

test('keyboard only: Tab to the reason, type it, Space on Reject; focus visible throughout', async () => {
  const first = await pending('inc-miner/p1', 'storefront-7d9f');
  const second = await pending('inc-shell/p1', 'checkout-55b1');
  const { page, posted } = await open([first, second]);
  await decideByKeyboard(page, second, 'reject', 'Space', 'false positive: a load test');
  assert.equal(posted.length, 1);
  await assertSignedBy(posted[0]!, second, 'reject', 'false positive: a load test');
  await screenshot(page, dir, 'rejected');
  await page.context().close();
});

test('keyboard only: Enter on Approve with no reason sends nothing and puts the focus back in the reason', async () => {
  const only = await pending('inc-miner/p1', 'storefront-7d9f');
  const { page, posted } = await open([only]);
  await tabTo(page, `a[href="/approvals/${encodeURIComponent(only.id)}"]`);
  await page.keyboard.press('Enter');
  await page.getByText(ANA).waitFor();
  await tabTo(page, '#reason');
  // Spaces pass the browser's own required check; the page's check refuses them.
  await page.keyboard.type('   ');
  await tabTo(page, 'button.approve');
  await page.keyboard.press('Enter');
  await page.getByRole('alert').filter({ hasText: 'A reason is required' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'reason');
  await assertVisibleFocus(page, 'the reason after the refusal');
  assert.deepEqual(posted, []);
  await page.context().close();
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { VigilError } from '@vigil/core';
import type { ApprovalInput } from '../coordinator.js';
import { IncidentStore } from '../incident-store.js';
import { createOpsApp, type OpsAppOptions } from '../ops-api/server.js';
import type { ProposedAction, Review } from '../ports.js';
import { addUser } from '../users.js';
import { minerFinding } from './recording-ports.js';

/** The console's origin in in-process tests (what the Origin check accepts). */
export const TEST_ORIGIN = 'http://127.0.0.1:4000';
export const TEST_TRUST_DOMAIN = 'soc.test';

const action: ProposedAction = {
  type: 'isolate-pod',
  target: { namespace: 'shop', pod: 'web-1' },
  parameters: {},
};
const review: Review = {
  decision: 'escalate',
  action,
  verdict: 'x.y.z',
  reasons: ['production workload'],
  rules: ['escalate_production'],
  revision: 'sha256:abc',
  confidence: 0.9,
  rounds: 1,
};

/**
 * An ops API over a real incident store holding one incident (`inc-1`) and one pending
 * approval (`inc-1/p-1`), with token users `vera` (viewer) and `alice` (analyst), and a
 * coordinator stand-in that records decisions. Closed in `t.after`.
 */
export async function opsApiFixture(
  t: TestContext,
  options: Partial<Pick<OpsAppOptions, 'sessions' | 'throttle' | 'reads' | 'oidc'>> = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ops-api-'));
  const store = new IncidentStore(join(dir, 'coordinator.sqlite'));
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  store.recordFinding('inc-1', minerFinding, 1_000, { title: 'miner', severity: 'high' });
  store.addApprovals(
    [
      {
        id: 'inc-1/p-1',
        incidentId: 'inc-1',
        proposalId: 'p-1',
        action,
        actionDigest: 'd'.repeat(64),
        review,
      },
    ],
    2_000,
    60_000,
  );
  const decided: (ApprovalInput & { id: string })[] = [];
  const coordinator = {
    summary: async () => undefined,
    decide: async (id: string, input: ApprovalInput) => {
      decided.push({ id, ...input });
      if (input.approval === 'stale')
        throw new VigilError('VIGIL_APPROVAL_EXPIRED', 'approval inc-1/p-1 expired');
      return store.decide(id, input.decision === 'approve' ? 'approved' : 'rejected', {
        decision: input.decision,
        by: input.by,
        reason: input.reason,
        approval: input.approval,
        at: 3_000,
      });
    },
  };
  const tokens = {
    viewer: addUser(dir, 'vera', 'viewer'),
    analyst: addUser(dir, 'alice', 'analyst'),
  };
  const app = await createOpsApp({
    coordinator,
    store,
    stateDir: dir,
    trustDomain: TEST_TRUST_DOMAIN,
    origins: [TEST_ORIGIN],
    ...options,
  });
  t.after(() => app.close());
  const as = (role: keyof typeof tokens) => ({ authorization: `Bearer ${tokens[role]}` });
  return { app, store, decided, as, dir, action };
}

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createCertificateAuthority, issueLeafCertificate } from '@vigil/pki';
import { signApproval, signVerdict } from '@vigil/policy';
import { isVigilError } from '@vigil/core';
import type { Action } from './actions/action.js';
import { createDefaultRegistry } from './actions/catalogue/index.js';
import { createPolicyAuthoriser } from './authorisation.js';
import { DryRunExecutor } from './executors/dry-run.js';
import { Remediator } from './remediator.js';
import { ExecutionStore } from './store/execution-store.js';
import { SAMPLE_ACTIONS, smallInventory } from './testing/fixtures.js';
import type { Executor } from './executors/executor.js';

const TD = 'vigil.test';
const REVIEWER = `spiffe://${TD}/agent/reviewer`;
const dir = mkdtempSync(join(tmpdir(), 'vigil-remediator-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ca = await createCertificateAuthority({ trustDomain: TD });
const day = new Date(Date.now() + 86_400_000);
const leaf = async (spiffeId: string, role?: string) => {
  const m = await issueLeafCertificate(ca, {
    spiffeId,
    commonName: spiffeId,
    notAfter: day,
    ...(role ? { role } : {}),
  });
  return { spiffeId, privateKeyPem: m.keyPem, certPem: m.certPem };
};
const reviewer = await leaf(REVIEWER);
const analyst = await leaf(`spiffe://${TD}/agent/analyst`);
const alice = await leaf(`spiffe://${TD}/user/alice`, 'analyst');
const registry = createDefaultRegistry();

function canonical(action: unknown): Action {
  return registry.parse(action).action;
}

async function verdict(
  action: Action,
  decision: 'allow' | 'deny' | 'escalate' = 'allow',
  signer = reviewer,
) {
  return {
    kind: 'verdict' as const,
    jws: await signVerdict(
      {
        decision,
        reasons: ['test'],
        rules: ['test.rule'],
        confidence: 0.9,
        revision: 'sha256:' + 'b'.repeat(64),
        action,
        reviewedAction: action,
        rounds: [],
      },
      signer,
      { ttlSeconds: 300 },
    ),
  };
}

function setup(name: string, executor?: Executor & { inventory?: DryRunExecutor['inventory'] }) {
  const dry = new DryRunExecutor(smallInventory());
  const store = ExecutionStore.open(join(dir, `${name}.db`));
  after(() => store.close());
  const remediator = new Remediator({
    registry,
    executor: executor ?? dry,
    inventory: dry,
    authoriser: createPolicyAuthoriser({ caPem: ca.certPem, reviewer: REVIEWER }),
    store,
  });
  return { dry, store, remediator };
}

test('executes an action with a verdict signed by the reviewer for exactly that action', async () => {
  const { dry, remediator } = setup('allow');
  const action = canonical(SAMPLE_ACTIONS[5]);
  const record = await remediator.execute(action, await verdict(action));
  assert.equal(record.state, 'done', JSON.stringify(record));
  assert.equal(record.authorisation.by, REVIEWER);
  assert.equal(dry.recorded().length, 1);
  assert.equal((await dry.inventory()).node('node-b')?.unschedulable, true);
});

test('refuses without a valid authorisation, records nothing and sends nothing', async () => {
  const { dry, store, remediator } = setup('refuse');
  const action = canonical(SAMPLE_ACTIONS[0]);
  const other = canonical(SAMPLE_ACTIONS[2]);
  const cases: [string, { kind: 'verdict' | 'approval'; jws: string }, string][] = [
    ['garbage', { kind: 'verdict', jws: 'not-a-jws' }, 'VIGIL_VERDICT'],
    ['another action', await verdict(other), 'VIGIL_VERDICT_ACTION_MISMATCH'],
    ['a deny verdict', await verdict(action, 'deny'), 'VIGIL_VERDICT_NOT_EXECUTABLE'],
    ['an escalate verdict', await verdict(action, 'escalate'), 'VIGIL_VERDICT_NOT_EXECUTABLE'],
    [
      'signed by the analyst',
      await verdict(action, 'allow', analyst),
      'VIGIL_VERDICT_WRONG_SIGNER',
    ],
  ];
  for (const [why, auth, reason] of cases) {
    await assert.rejects(
      remediator.execute(action, auth),
      (e: unknown) =>
        isVigilError(e, 'VIGIL_REMEDIATOR_UNAUTHORISED') &&
        String(e.details['reason']).startsWith(reason),
      why,
    );
  }
  assert.equal(dry.recorded().length, 0);
  assert.equal(store.list().length, 0);
});

test('refuses an action that is not in canonical form even with its verdict', async () => {
  const { remediator } = setup('canonical');
  const raw = { type: 'delete-pod', target: { namespace: 'shop', pod: 'debug' }, parameters: {} };
  await assert.rejects(
    remediator.execute(raw, await verdict(raw as Action)),
    (e: unknown) =>
      isVigilError(e, 'VIGIL_REMEDIATOR_UNAUTHORISED') && e.message.includes('canonical'),
  );
});

test('executes with a human approval bound to the action; a rejection or another action is refused', async () => {
  const { remediator } = setup('approval');
  const action = canonical(SAMPLE_ACTIONS[1]);
  const approve = (a: Action, decision: 'approve' | 'reject') =>
    signApproval({ action: a, decision, comment: 'ok' }, alice, { ttlSeconds: 300 });
  await assert.rejects(
    remediator.execute(action, { kind: 'approval', jws: await approve(action, 'reject') }),
    (e: unknown) =>
      isVigilError(e, 'VIGIL_REMEDIATOR_UNAUTHORISED') &&
      e.details['reason'] === 'VIGIL_APPROVAL_REJECTED',
  );
  await assert.rejects(
    remediator.execute(action, {
      kind: 'approval',
      jws: await approve(canonical(SAMPLE_ACTIONS[0]), 'approve'),
    }),
    (e: unknown) =>
      isVigilError(e, 'VIGIL_REMEDIATOR_UNAUTHORISED') &&
      e.details['reason'] === 'VIGIL_APPROVAL_ACTION_MISMATCH',
  );
  const record = await remediator.execute(action, {
    kind: 'approval',
    jws: await approve(action, 'approve'),
  });
  assert.equal(record.state, 'done');
  assert.equal(record.authorisation.by, alice.spiffeId);
});

test('the same idempotency key twice executes once and returns the first result', async () => {
  const { dry, store, remediator } = setup('idem');
  const action = canonical(SAMPLE_ACTIONS[0]);
  const auth = await verdict(action);
  const [a, b] = await Promise.all([
    remediator.execute(action, auth),
    remediator.execute(action, auth),
  ]);
  const c = await remediator.execute(action, auth);
  assert.equal(a.id, b.id);
  assert.equal(a.id, c.id);
  assert.deepEqual(c.result, a.result);
  assert.equal(dry.recorded().length, 2, 'one policy create + one label patch, once');
  assert.equal(store.list().length, 1);
});

test('a retried execution after a restart returns the stored result', async () => {
  const path = join(dir, 'restart.db');
  const action = canonical(SAMPLE_ACTIONS[1]);
  const auth = await verdict(action);
  const dry = new DryRunExecutor(smallInventory());
  const make = () =>
    new Remediator({
      registry,
      executor: dry,
      inventory: dry,
      authoriser: createPolicyAuthoriser({ caPem: ca.certPem, reviewer: REVIEWER }),
      store: ExecutionStore.open(path),
    });
  const first = await make().execute(action, auth);
  const again = await make().execute(action, auth);
  assert.equal(again.id, first.id);
  assert.equal(dry.recorded().length, 1);
});

test('a failed first request is recorded as a failed, retryable execution (a value, not a throw)', async () => {
  const { store, remediator } = setup('fail');
  const failing: Executor = {
    name: 'failing',
    supports: () => true,
    send: () =>
      Promise.resolve({
        ok: false,
        status: 500,
        code: 'VIGIL_REMEDIATOR_API_FAILED',
        reason: 'boom',
      }),
  };
  const r2 = new Remediator({
    registry,
    executor: failing,
    inventory: new DryRunExecutor(smallInventory()),
    authoriser: createPolicyAuthoriser({ caPem: ca.certPem, reviewer: REVIEWER }),
    store,
  });
  void remediator;
  const action = canonical(SAMPLE_ACTIONS[5]);
  const rec = await r2.execute(action, await verdict(action));
  assert.equal(rec.state, 'failed');
  assert.equal(rec.error?.code, 'VIGIL_REMEDIATOR_API_FAILED');
  assert.equal(rec.retryable, true);
});

test('undo builds the inverse for review; it runs with its own authorisation and links both', async () => {
  const { dry, store, remediator } = setup('undo');
  const before = (await dry.inventory()).toDocument();
  const action = canonical(SAMPLE_ACTIONS[1]);
  const done = await remediator.execute(action, await verdict(action));
  const undo = await remediator.prepareUndo(done.id);
  assert.deepEqual(undo.action, {
    type: 'scale-workload',
    target: { namespace: 'shop', kind: 'Deployment', name: 'web' },
    parameters: { replicas: 3 },
  });
  // The original verdict does not authorise the inverse.
  await assert.rejects(
    remediator.execute(undo.action, await verdict(action), { undoOf: done.id }),
    (e: unknown) => isVigilError(e, 'VIGIL_REMEDIATOR_UNAUTHORISED'),
  );
  const undone = await remediator.execute(undo.action, await verdict(undo.action), {
    undoOf: done.id,
  });
  assert.equal(undone.state, 'done');
  assert.equal(store.get(done.id)?.undoneBy, undone.id);
  assert.deepEqual((await dry.inventory()).toDocument(), before);
  await assert.rejects(remediator.prepareUndo(done.id), (e: unknown) =>
    isVigilError(e, 'VIGIL_REMEDIATOR_NOT_UNDOABLE'),
  );
});

test('undo of an irreversible action is refused', async () => {
  const { remediator } = setup('irrev');
  const action = canonical(SAMPLE_ACTIONS[2]);
  const done = await remediator.execute(action, await verdict(action));
  await assert.rejects(
    remediator.prepareUndo(done.id),
    (e: unknown) =>
      isVigilError(e, 'VIGIL_REMEDIATOR_NOT_UNDOABLE') && e.message.includes('irreversible'),
  );
});

test('reconcile after a crash between intent and outcome: applied → done, not applied → retryable, webhook → unknown', async () => {
  const { dry, store, remediator } = setup('reconcile');
  const grant = { kind: 'verdict' as const, id: 'jti', by: REVIEWER, decision: 'allow' };
  const intent = (action: Action, key: string) =>
    store.begin({
      idempotencyKey: key,
      action,
      actionDigest: 'sha256:x',
      executor: 'dry-run',
      authorisation: grant,
      reversible: true,
      memo: registry.assess(action, smallInventory()).plan.memo,
      plan: [],
    });
  const cordon = canonical(SAMPLE_ACTIONS[5]);
  const scale = canonical(SAMPLE_ACTIONS[1]);
  const user = canonical({
    type: 'disable-user',
    target: { user: 'bob@example.com' },
    parameters: {},
  });
  // The cordon reached the cluster before the crash; the scale did not.
  await dry.send(registry.assess(cordon, smallInventory()).plan.requests[0]!, {
    idempotencyKey: 'x',
  });
  const a = intent(cordon, 'k1').record.id;
  const b = intent(scale, 'k2').record.id;
  const c = intent(user, 'k3').record.id;
  const report = await remediator.reconcile();
  const byId = new Map(report.map((r) => [r.id, r.state]));
  assert.equal(byId.get(a), 'done');
  assert.equal(byId.get(b), 'failed');
  assert.equal(byId.get(c), 'unknown');
  assert.equal(store.get(b)?.retryable, true);
  assert.equal(store.list({ state: 'pending' }).length, 0);
});

test('refuses to act when the blast radius grew since the review, sending nothing', async () => {
  const { dry, remediator } = setup('grew');
  const action = canonical(SAMPLE_ACTIONS[1]); // scale-to-zero web: 3 pods today
  const rec = await remediator.execute(action, await verdict(action), { reviewedBlastRadius: 2 });
  assert.equal(rec.state, 'failed');
  assert.equal(rec.error?.code, 'VIGIL_REMEDIATOR_BLAST_RADIUS_GREW');
  assert.equal(dry.recorded().length, 0);
  const ok = await remediator.execute(action, await verdict(action), { reviewedBlastRadius: 3 });
  assert.equal(ok.state, 'done');
});

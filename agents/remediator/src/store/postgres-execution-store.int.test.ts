import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCertificateAuthority, issueLeafCertificate } from '@vigil/pki';
import { signVerdict } from '@vigil/policy';
import { startPostgres } from '@vigil/testkit';
import type { Action } from '../actions/action.js';
import { createDefaultRegistry } from '../actions/catalogue/index.js';
import { createPolicyAuthoriser } from '../authorisation.js';
import { DryRunExecutor } from '../executors/dry-run.js';
import { Remediator } from '../remediator.js';
import { SAMPLE_ACTIONS, smallInventory } from '../testing/fixtures.js';
import { PostgresExecutionStore } from './postgres-execution-store.js';

const TD = 'vigil.test';
const REVIEWER = `spiffe://${TD}/agent/reviewer`;
const ca = await createCertificateAuthority({ trustDomain: TD });
const reviewer = await issueLeafCertificate(ca, {
  spiffeId: REVIEWER,
  commonName: REVIEWER,
  notAfter: new Date(Date.now() + 86_400_000),
});
const registry = createDefaultRegistry();

async function verdictFor(action: Action) {
  return {
    kind: 'verdict' as const,
    jws: await signVerdict(
      {
        decision: 'allow',
        reasons: ['test'],
        rules: ['test.rule'],
        confidence: 0.9,
        revision: 'sha256:' + 'b'.repeat(64),
        action,
        reviewedAction: action,
        rounds: [],
      },
      { spiffeId: REVIEWER, privateKeyPem: reviewer.keyPem, certPem: reviewer.certPem },
      { ttlSeconds: 300 },
    ),
  };
}

/** A remediator replica: its own pool on the shared database, its own executor. */
async function replica(t: { after(fn: () => Promise<void>): void }, url: string) {
  const store = await PostgresExecutionStore.open(url);
  t.after(() => store.close());
  let applied = 0;
  const dry = new DryRunExecutor(smallInventory(), { onApplied: () => void applied++ });
  const remediator = new Remediator({
    registry,
    executor: dry,
    inventory: dry,
    authoriser: createPolicyAuthoriser({ caPem: ca.certPem, reviewer: REVIEWER }),
    store,
  });
  return { remediator, store, applied: () => applied };
}

test('two remediator replicas asked to execute the same actions at once act once per idempotency key', async (t) => {
  const db = await startPostgres(t);
  const a = await replica(t, db.url);
  const b = await replica(t, db.url);
  const actions = SAMPLE_ACTIONS.map((s) => registry.parse(s).action);
  const results = await Promise.all(
    actions.flatMap((action) => [
      verdictFor(action).then((v) =>
        a.remediator.execute(action, v, {
          idempotencyKey: `k-${action.type}-${JSON.stringify(action.target)}`,
        }),
      ),
      verdictFor(action).then((v) =>
        b.remediator.execute(action, v, {
          idempotencyKey: `k-${action.type}-${JSON.stringify(action.target)}`,
        }),
      ),
    ]),
  );
  for (let i = 0; i < actions.length; i++) {
    const [fromA, fromB] = [results[2 * i]!, results[2 * i + 1]!];
    assert.equal(fromA.id, fromB.id, `${actions[i]!.type}: one execution record for both replicas`);
  }
  const rows = await a.store.list();
  assert.equal(rows.length, actions.length);
  assert.ok(rows.every((r) => r.attempts === 1));
  const started = rows.filter((r) => r.state !== 'pending').length;
  assert.equal(started, actions.length, 'every execution finished on the replica that began it');
  // Each plan's requests were sent by exactly one replica.
  const planned = rows.reduce((n, r) => n + r.plan.length, 0);
  assert.equal(a.applied() + b.applied(), planned);
});

test('a key begun on one replica is existing on another, and a retryable failure is re-armed once', async (t) => {
  const db = await startPostgres(t);
  const [one, two] = [
    await PostgresExecutionStore.open(db.url),
    await PostgresExecutionStore.open(db.url),
  ];
  t.after(async () => {
    await one.close();
    await two.close();
  });
  const action = registry.parse(SAMPLE_ACTIONS[0]).action;
  const intent = {
    idempotencyKey: 'k1',
    action,
    actionDigest: 'd',
    executor: 'dry-run',
    authorisation: { kind: 'verdict' as const, id: 'v1', by: REVIEWER, decision: 'allow' },
    reversible: true,
    memo: { before: 1 },
    plan: ['PATCH x'],
  };
  const first = await one.begin(intent);
  assert.equal(first.status, 'started');
  const second = await two.begin(intent);
  assert.equal(second.status, 'existing');
  assert.equal(second.record.id, first.record.id);
  await one.finish(first.record.id, {
    state: 'failed',
    error: { code: 'X', message: 'nothing sent' },
    retryable: true,
  });
  const rearmed = await Promise.all([one.begin(intent), two.begin(intent)]);
  assert.deepEqual(rearmed.map((r) => r.status).sort(), ['existing', 'started']);
  assert.equal((await two.byKey('k1'))?.attempts, 2);
  assert.deepEqual(
    await two.list({ state: 'pending', updatedBefore: '2000-01-01T00:00:00.000Z' }),
    [],
  );
  assert.equal((await two.list({ state: 'pending' })).length, 1);
});

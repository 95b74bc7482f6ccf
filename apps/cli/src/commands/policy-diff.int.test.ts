import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createAuditWriter, openAuditStore } from '@vigil/audit';
import { ensureIdentities, loadAgentCredentials } from '@vigil/pki';
import { loadAgentSystem } from '@vigil/registry';
import { REPO_ROOT, runVigil, tempDir } from '../testing/run-vigil.js';
import type { PolicyDiff } from '../policy-diff/replay.js';

const CONFIG = join(REPO_ROOT, 'vigil.yaml');

function example(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'policies/examples', name), 'utf8')) as Record<
    string,
    unknown
  >;
}

/** An isolate-pod of the checkout pod in `namespace`, which the shipped policy allows. */
function isolatePod(namespace: string): Record<string, unknown> {
  const input = example('delete-pod-production.json');
  const target = { namespace, pod: 'checkout-7d9f-abcde' };
  return {
    ...input,
    action: { type: 'isolate-pod', target, parameters: {} },
    asset: { ...(input['asset'] as object), namespace },
  };
}

test('vigil policy diff lists exactly the recorded decisions a hand-made policy change flips', async (t) => {
  const dir = tempDir(t, 'policy-diff');
  const stateDir = join(dir, 'state');
  const system = await loadAgentSystem(CONFIG);
  await ensureIdentities(stateDir, system);
  const reviewer = await loadAgentCredentials(stateDir, 'reviewer');
  const store = await openAuditStore(system.storage.audit, stateDir);
  const writer = createAuditWriter({
    store,
    signer: { id: reviewer.spiffeId, privateKeyPem: reviewer.key, certPem: reviewer.cert },
  });
  const recorded = [
    ['inc-prod', 'allow', isolatePod('production')],
    ['inc-staging', 'allow', isolatePod('staging')],
    ['inc-delete', 'escalate', example('delete-pod-production.json')],
    ['inc-kube', 'escalate', example('isolate-kube-system.json')],
    ['inc-block', 'mutate', example('block-wide-range.json')],
  ] as const;
  for (const [incidentId, decision, policyInput] of recorded) {
    await writer.append({
      kind: 'verdict',
      actor: reviewer.spiffeId,
      correlationId: incidentId,
      what: { proposalId: `p-${incidentId}`, decision, policyInput: policyInput as never },
      why: { reasons: [], rules: [], revision: 'sha256:recorded' },
    });
  }
  // A verdict written before inputs were recorded: counted, never guessed at.
  await writer.append({
    kind: 'verdict',
    actor: reviewer.spiffeId,
    correlationId: 'inc-old',
    what: { proposalId: 'p-old', decision: 'allow' },
    why: { reasons: [], rules: [], revision: 'sha256:old' },
  });
  await writer.close();
  await store.close();

  // The change under review: isolating a production pod now needs a human.
  const changed = join(dir, 'bundle-b');
  cpSync(join(REPO_ROOT, 'policies/soc'), changed, { recursive: true });
  appendFileSync(
    join(changed, 'escalate.rego'),
    '\nescalate["escalate.production-isolation"] := "isolating a production pod needs a human" if {\n' +
      '\taction.type == "isolate-pod"\n\tasset.namespace == "production"\n}\n',
  );
  const args = ['-f', CONFIG, '--state-dir', stateDir, 'policy', 'diff'];
  const run = await runVigil([...args, '--json', 'policies/soc', changed, '--since', '1h']);
  assert.equal(run.code, 0, run.stderr);
  const diff = JSON.parse(run.stdout) as PolicyDiff;
  assert.equal(diff.replayed, 5);
  assert.equal(diff.notReplayable, 1);
  assert.notEqual(diff.revisions.a, diff.revisions.b);
  assert.deepEqual(
    diff.changes.map((c) => [c.incidentId, c.transition]),
    [['inc-prod', 'allow → escalate']],
  );
  const [change] = diff.changes;
  assert.deepEqual(change?.a.rules, ['allow.no-objection']);
  assert.ok(change?.b.rules.includes('escalate.production-isolation'), String(change?.b.rules));
  assert.deepEqual(diff.transitions, { 'allow → escalate': 1 });

  const human = await runVigil([...args, 'policies/soc', changed]);
  assert.equal(human.code, 0, human.stderr);
  assert.match(
    human.stdout,
    /5 recorded decisions replayed, 1 would change \(1 without a recorded input skipped\)/,
  );
  assert.match(
    human.stdout,
    /inc-prod .*isolate-pod production\/checkout-7d9f-abcde\s+allow → escalate/,
  );
  assert.match(human.stdout, /b: .*escalate\.production-isolation/);

  const same = await runVigil([...args, '--json', 'policies/soc', 'policies/soc']);
  assert.equal(same.code, 0, same.stderr);
  assert.deepEqual((JSON.parse(same.stdout) as PolicyDiff).changes, []);

  writeFileSync(join(changed, 'broken.rego'), 'package vigil.soc.review\nthis is not rego\n');
  const broken = await runVigil([...args, 'policies/soc', changed]);
  assert.equal(broken.code, 1);
  const usage = await runVigil([...args, 'policies/soc', changed, '--since', 'last week']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--since: "last week" is not a duration/);
});

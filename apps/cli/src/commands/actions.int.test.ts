import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, runVigil } from '../testing/run-vigil.js';
import { ensureIdentities, loadAgentCredentials } from '@vigil/pki';
import { signVerdict } from '@vigil/policy';
import { loadAgentSystem } from '@vigil/registry';
import { openRemediator, parseRemediatorSettings, type Action } from '@vigil/remediator';

const CONFIG = join(REPO_ROOT, 'vigil.yaml');

test('vigil actions list shows executions and undo reverses one only with a verdict for the inverse', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-cli-actions-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const system = await loadAgentSystem(CONFIG);
  await ensureIdentities(stateDir, system);
  const reviewerCreds = await loadAgentCredentials(stateDir, 'reviewer');
  const reviewer = {
    spiffeId: reviewerCreds.spiffeId,
    privateKeyPem: reviewerCreds.key,
    certPem: reviewerCreds.cert,
  };
  const sign = (action: Action) =>
    signVerdict(
      {
        decision: 'allow',
        reasons: ['test'],
        rules: ['t'],
        confidence: 1,
        revision: 'sha256:' + 'c'.repeat(64),
        action,
        reviewedAction: action,
        rounds: [],
      },
      reviewer,
      { ttlSeconds: 300 },
    );

  // The remediator (as the agent would) executes a scale-to-zero of the demo's storefront.
  const spec = system.agents.find((a) => a.name === 'remediator');
  const opened = await openRemediator({
    settings: parseRemediatorSettings(spec?.settings),
    stateDir,
    baseDir: REPO_ROOT,
    caPem: reviewerCreds.ca,
    reviewer: reviewerCreds.spiffeId,
  });
  const inventory = await opened.remediator.assess({
    type: 'cordon-node',
    target: { node: 'node-a' },
    parameters: {},
  });
  const done = await opened.remediator.execute(inventory.action, {
    kind: 'verdict',
    jws: await sign(inventory.action),
  });
  assert.equal(done.state, 'done', JSON.stringify(done));
  await opened.close();

  const list = await runVigil(['actions', 'list', '--json', '-f', CONFIG, '--state-dir', stateDir]);
  assert.equal(list.code, 0, list.stderr);
  const records = JSON.parse(list.stdout) as { id: string; state: string; action: Action }[];
  assert.deepEqual(
    records.map((r) => [r.id, r.state, r.action.type]),
    [[done.id, 'done', 'cordon-node']],
  );
  const human = await runVigil(['actions', 'list', '-f', CONFIG, '--state-dir', stateDir]);
  assert.match(human.stdout, /cordon-node\s+node node-a\s+dry-run/);

  const proposal = await runVigil([
    'actions',
    'undo',
    done.id,
    '--json',
    '-f',
    CONFIG,
    '--state-dir',
    stateDir,
  ]);
  assert.equal(proposal.code, 0, proposal.stderr);
  const undo = JSON.parse(proposal.stdout) as { status: string; action: Action; digest: string };
  assert.equal(undo.status, 'awaiting-review');
  assert.deepEqual(undo.action, {
    type: 'uncordon-node',
    target: { node: 'node-a' },
    parameters: {},
  });

  // The verdict of the original action does not authorise its inverse.
  const wrong = join(stateDir, 'wrong.jws');
  writeFileSync(wrong, await sign(inventory.action));
  const refused = await runVigil([
    'actions',
    'undo',
    done.id,
    '--verdict',
    wrong,
    '-f',
    CONFIG,
    '--state-dir',
    stateDir,
  ]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /VIGIL_REMEDIATOR_UNAUTHORISED/);

  const right = join(stateDir, 'right.jws');
  writeFileSync(right, await sign(undo.action));
  const executed = await runVigil([
    'actions',
    'undo',
    done.id,
    '--verdict',
    right,
    '-f',
    CONFIG,
    '--state-dir',
    stateDir,
  ]);
  assert.equal(executed.code, 0, executed.stderr);
  assert.match(executed.stdout, /^done: .* \(uncordon-node\) undoes /);

  const after = JSON.parse(
    (await runVigil(['actions', 'list', '--json', '-f', CONFIG, '--state-dir', stateDir])).stdout,
  ) as {
    id: string;
    undoneBy?: string;
    undoOf?: string;
  }[];
  const original = after.find((r) => r.id === done.id);
  assert.ok(original?.undoneBy);
  assert.equal(after.find((r) => r.id === original.undoneBy)?.undoOf, done.id);
  const again = await runVigil(['actions', 'undo', done.id, '-f', CONFIG, '--state-dir', stateDir]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /VIGIL_REMEDIATOR_NOT_UNDOABLE.*already undone/);
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureIdentities, loadAgentCredentials } from '@vigil/pki';
import { signVerdict } from '@vigil/policy';
import { loadAgentSystem } from '@vigil/registry';
import { startAgentRuntime } from '@vigil/runtime';
import type { Analysis, Finding } from '@vigil/soc';
import { createRemediatorAgent } from './agent.js';
import type { Action } from './actions/action.js';
import { verifyProposal } from '@vigil/soc';
import type { SignedProposal } from './signed-proposals.js';
import type { ExecutionRecord } from './store/execution-store.js';
import type { UndoProposal } from './remediator.js';
import { loadInventoryFile } from './inventory/inventory.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

/** A storefront pod of the demo inventory the agent loads (names come from the scenario seed). */
async function storefrontPod(): Promise<string> {
  const inventory = await loadInventoryFile(join(ROOT, 'examples/soc-demo/inventory.yaml'));
  const pod = inventory.pods({ namespace: 'shop' }).find((p) => p.name.startsWith('storefront-'));
  assert.ok(pod, 'the demo inventory has a storefront pod');
  return pod.name;
}
const CONFIG = join(ROOT, 'vigil.yaml');

test('the remediator agent proposes, executes with a verdict, builds the undo, and keeps its record across a restart', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-remediator-agent-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  process.env['VIGIL_CONFIG'] = CONFIG; // what the supervisor sets; settings paths resolve against it
  const system = await loadAgentSystem(CONFIG);
  await ensureIdentities(stateDir, system);
  const creds = await loadAgentCredentials(stateDir, 'reviewer');
  const reviewer = { spiffeId: creds.spiffeId, privateKeyPem: creds.key, certPem: creds.cert };
  const ca = creds.ca;
  const sign = (action: Action) =>
    signVerdict(
      {
        decision: 'allow',
        reasons: ['t'],
        rules: ['t'],
        confidence: 1,
        revision: 'sha256:' + 'd'.repeat(64),
        action,
        reviewedAction: action,
        rounds: [],
      },
      reviewer,
      { ttlSeconds: 300 },
    );

  const start = () =>
    startAgentRuntime({
      system,
      agentName: 'remediator',
      stateDir,
      definition: createRemediatorAgent(),
      watchCredentials: false,
    });
  let runtime = await start();
  t.after(() => runtime.shutdown());
  const pod = await storefrontPod();
  const finding: Finding = {
    id: 'f-demo',
    detectedAt: 0,
    score: 0.95,
    threshold: 0.6,
    modelVersion: 't',
    topFeatures: [],
    event: {
      id: 'e',
      time: 0,
      format: 'falco',
      classUid: 1007,
      activity: 'Terminal shell in container',
      severityId: 4,
      actor: {},
      tags: [],
      raw: {},
      workload: { namespace: 'shop', pod },
    },
    entities: { addresses: [] },
  };
  const analysis: Analysis = {
    techniques: ['T1609'],
    severity: 'high',
    confidence: 0.9,
    summary: 's',
    rationale: 'r',
    recommendedResponses: ['isolate-pod'],
    source: 'rule-based',
  };
  const { output } = await runtime.invoke('propose-actions', {
    incidentId: 'inc-1',
    finding,
    analysis,
  });
  const { proposals } = output as { proposals: SignedProposal[] };
  assert.equal(proposals.length, 1);
  assert.equal(proposals[0]?.asset.kind, 'Pod');
  assert.equal(
    await verifyProposal(
      proposals[0]!.signature,
      {
        incidentId: 'inc-1',
        proposalId: proposals[0]!.id,
        action: proposals[0]!.action,
        asset: proposals[0]!.asset,
        blastRadius: proposals[0]!.blastRadius,
      },
      ca,
    ),
    `spiffe://${system.trustDomain}/agent/remediator`,
    'proposals are signed by the remediator',
  );
  const action = proposals[0]?.action as Action;
  assert.deepEqual(action.target, { namespace: 'shop', pod });
  assert.equal(proposals[0]?.blastRadius.pods, 1);

  await assert.rejects(
    runtime.invoke('execute-action', { action, authorisation: { kind: 'verdict', jws: 'x.y.z' } }),
    /VIGIL_REMEDIATOR_UNAUTHORISED|not executed/,
  );
  const jws = await sign(action);
  const first = (
    (
      await runtime.invoke('execute-action', {
        incidentId: 'inc-1',
        action,
        authorisation: { kind: 'verdict', jws },
      })
    ).output as { record: ExecutionRecord }
  ).record;
  assert.equal(first.state, 'done', JSON.stringify(first));
  const undo = (await runtime.invoke('undo-action', { executionId: first.id }))
    .output as UndoProposal;
  assert.equal(undo.action.type, 'release-pod');

  // Restart: the retried call returns the first record; the dry-run state persisted.
  await runtime.shutdown();
  runtime = await start();
  const retried = (
    (await runtime.invoke('execute-action', { action, authorisation: { kind: 'verdict', jws } }))
      .output as { record: ExecutionRecord }
  ).record;
  assert.equal(retried.id, first.id);
  const undoAgain = (await runtime.invoke('undo-action', { executionId: first.id }))
    .output as UndoProposal;
  assert.deepEqual(
    undoAgain.action,
    undo.action,
    'the inverse is rebuilt from the persisted memo and state',
  );
  await assert.rejects(
    runtime.invoke('execute-action', {
      action: { type: 'rm-rf', target: {}, parameters: {} },
      authorisation: { kind: 'verdict', jws },
    }),
    /unknown action type/,
  );
  // An action without its target and parameters is refused by the contract, before the remediator sees it.
  await assert.rejects(
    runtime.invoke('execute-action', {
      action: { type: 'isolate-pod' },
      authorisation: { kind: 'verdict', jws },
    }),
    /VIGIL_RUNTIME_SKILL_INPUT_INVALID|input\.action\.target/,
  );
});

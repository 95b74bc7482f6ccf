import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Analysis, Finding } from '@vigil/soc';
import { proposeActions } from './propose.js';
import { smallInventory } from './testing/fixtures.js';

function finding(
  event: Partial<Finding['event']> & Record<string, unknown>,
  entities: Partial<Finding['entities']> = {},
): Finding {
  return {
    id: 'f-1',
    detectedAt: 0,
    score: 0.9,
    threshold: 0.6,
    modelVersion: 'test',
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
      ...event,
    },
    entities: { addresses: [], ...entities },
  };
}

function analysis(recommendedResponses: Analysis['recommendedResponses']): Analysis {
  return {
    techniques: ['T1609'],
    severity: 'high',
    confidence: 0.9,
    summary: 's',
    rationale: 'r',
    recommendedResponses,
    source: 'rule-based',
  };
}

test('maps every recommended response to a concrete action on the finding’s pod, owner, node, account and addresses', () => {
  const f = finding(
    {
      workload: { namespace: 'shop', pod: 'web-7d9f8-1', node: 'node-a' },
      network: { dstIp: '203.0.113.9' },
      actor: { user: 'system:serviceaccount:shop:web' },
    },
    { addresses: ['10.244.1.2'] },
  );
  const { proposals, skipped } = proposeActions(
    f,
    analysis([
      'isolate-pod',
      'scale-to-zero',
      'delete-pod',
      'block-ip',
      'revoke-sa-token',
      'cordon-node',
      'disable-user',
    ]),
    smallInventory(),
  );
  const byType = new Map(proposals.map((p) => [p.action.type, p.action]));
  assert.deepEqual(byType.get('isolate-pod')?.target, { namespace: 'shop', pod: 'web-7d9f8-1' });
  assert.deepEqual(byType.get('scale-to-zero')?.target, {
    namespace: 'shop',
    kind: 'Deployment',
    name: 'web',
  });
  assert.deepEqual(byType.get('block-ip'), {
    type: 'block-ip',
    target: { namespace: 'shop', selector: { app: 'web' } },
    // Seen as an outbound flow's destination: blocked on egress only.
    parameters: { cidr: '203.0.113.9/32', direction: 'egress' },
  });
  assert.deepEqual(byType.get('revoke-sa-token')?.parameters, { mode: 'legacy-secrets' });
  assert.deepEqual(byType.get('cordon-node')?.target, { node: 'node-a' });
  // The actor is a service account: not an identity-provider user.
  assert.deepEqual(
    skipped.map((s) => s.type),
    ['disable-user'],
  );
  for (const p of proposals) assert.match(p.digest, /^sha256:/);
});

test('blocks an address only in the direction it was seen', () => {
  const blockOf = (network: Record<string, string>, sourceIp?: string) =>
    proposeActions(
      finding({
        workload: { namespace: 'shop', pod: 'web-7d9f8-1' },
        network,
        ...(sourceIp ? { actor: { user: 'x', sourceIp } } : {}),
      }),
      analysis(['block-ip']),
      smallInventory(),
    ).proposals[0]?.action.parameters;
  assert.equal(blockOf({ dstIp: '203.0.113.9' })?.['direction'], 'egress');
  assert.equal(blockOf({ srcIp: '203.0.113.9' })?.['direction'], 'ingress');
  assert.equal(blockOf({ dstIp: '203.0.113.9' }, '203.0.113.9')?.['direction'], 'both');
});

test('never proposes block-ip on an address the client only claimed (X-Forwarded-For)', () => {
  // The API server observed 203.0.113.9; 198.51.100.7 came from the client's
  // X-Forwarded-For and may name anything (a bastion, a partner's gateway).
  const spoofed = finding(
    {
      workload: { namespace: 'shop', pod: 'web-7d9f8-1' },
      actor: { user: 'x', sourceIp: '203.0.113.9', claimedSourceIps: ['198.51.100.7'] },
    },
    // Even when an older detector put the claim among the entities.
    { addresses: ['198.51.100.7', '203.0.113.9'] },
  );
  const blocked = proposeActions(spoofed, analysis(['block-ip']), smallInventory()).proposals.map(
    (p) => p.action.parameters?.['cidr'],
  );
  assert.deepEqual(blocked, ['203.0.113.9/32']);
  // Only claims, nothing observed outside the cluster: nothing to block, and it says why.
  const onlyClaimed = proposeActions(
    finding(
      {
        workload: { namespace: 'shop', pod: 'web-7d9f8-1' },
        actor: { user: 'x', claimedSourceIps: ['198.51.100.7'] },
      },
      { addresses: ['198.51.100.7'] },
    ),
    analysis(['block-ip']),
    smallInventory(),
  );
  assert.deepEqual(onlyClaimed.proposals, []);
  assert.match(onlyClaimed.skipped[0]?.reason ?? '', /claimed are never blocked/);
});

test('never guesses: no pod means no pod action, and in-cluster addresses are not blocked', () => {
  const { proposals, skipped } = proposeActions(
    finding({ actor: { user: 'alice@example.com', sourceIp: '10.244.2.1' } }),
    analysis(['isolate-pod', 'block-ip', 'disable-user']),
    smallInventory(),
  );
  assert.deepEqual(
    proposals.map((p) => p.action),
    [
      {
        type: 'disable-user',
        target: { user: 'alice@example.com' },
        parameters: { reason: 'finding f-1' },
      },
    ],
  );
  assert.deepEqual(skipped.map((s) => s.type).sort(), ['block-ip', 'isolate-pod']);
});

test('a recommendation whose plan would be unsafe is skipped with the reason', () => {
  // db-0 is selected by the ingress policy db-allow-web: an ingress block on its pods
  // would widen that policy.
  const { proposals, skipped } = proposeActions(
    finding({ workload: { namespace: 'shop', pod: 'db-0' }, network: { srcIp: '198.51.100.4' } }),
    analysis(['block-ip', 'scale-to-zero']),
    smallInventory(),
  );
  assert.deepEqual(
    proposals.map((p) => p.action.type),
    ['scale-to-zero'],
  );
  assert.equal(skipped[0]?.type, 'block-ip');
  assert.match(skipped[0]?.reason ?? '', /db-allow-web/);
});

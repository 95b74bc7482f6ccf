/**
 * Every mutate rule of policies/soc, end to end: the incident graph with the real
 * remediator (catalogue, inventory, proposal signatures, verdict checks, dry-run
 * executor), the real reviewer against a real OPA server loaded with the SOC bundle and
 * the data of the repository's own vigil.yaml, and the offline analyser. Each rewrite is
 * assessed by the remediator, reviewed again, executed under its verdict, and leaves its
 * mark on the inventory.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { MemorySaver } from '@langchain/langgraph';
import { analyseFinding } from '@vigil/analyst';
import { createCertificateAuthority, issueLeafCertificate } from '@vigil/pki';
import { createPolicyEngine, REPO_ROOT, type PolicyEngine } from '@vigil/policy';
import { loadAgentSystem } from '@vigil/registry';
import {
  createDefaultRegistry,
  createPolicyAuthoriser,
  DryRunExecutor,
  ExecutionStore,
  InventorySnapshot,
  QUARANTINE_LABEL,
  Remediator,
  signProposals,
  type Action,
} from '@vigil/remediator';
import { reviewProposal, SOC_POLICY_ENTRYPOINT } from '@vigil/reviewer';
import { ACTION_TYPES, type Analysis, type Finding } from '@vigil/soc';
import { startOpaServer, type OpaServer } from '@vigil/testkit';
import { buildIncidentGraph, summarise, type IncidentStateValue } from './incident-graph.js';
import type { IncidentPorts, IncidentSummary, Proposal, Review } from './ports.js';

/** vigil.yaml's trust domain: the policy knows its remediator by this SPIFFE id. */
const TD = 'soc.vigil.local';
const REVIEWER = `spiffe://${TD}/agent/reviewer`;
const REMEDIATOR = `spiffe://${TD}/agent/remediator`;
const dir = mkdtempSync(join(tmpdir(), 'vigil-mutations-'));
let opa: OpaServer;
let engine: PolicyEngine;
/** vigil.yaml's policy less `Namespace` among the always-escalated kinds (see the narrow-block test). */
let namespaceBlocksEngine: PolicyEngine;
const ca = await createCertificateAuthority({ trustDomain: TD });
const leaf = async (spiffeId: string) => {
  const m = await issueLeafCertificate(ca, {
    spiffeId,
    commonName: spiffeId,
    notAfter: new Date(Date.now() + 3_600_000),
  });
  return { spiffeId, privateKeyPem: m.keyPem, certPem: m.certPem, key: m.keyPem, cert: m.certPem };
};
const reviewer = await leaf(REVIEWER);
const remediatorId = await leaf(REMEDIATOR);

before(async () => {
  opa = await startOpaServer();
  const system = await loadAgentSystem(resolve(REPO_ROOT, 'vigil.yaml'));
  const policy = {
    ...system.policy,
    engine: 'server' as const,
    serverUrl: opa.url,
    // Namespace `prod` is production here (vigil.yaml names `payments`).
    settings: { ...system.policy.settings, production: { namespaces: ['prod'] } },
  };
  const options = {
    entrypoint: SOC_POLICY_ENTRYPOINT,
    baseDir: REPO_ROOT,
    knownActionTypes: ACTION_TYPES,
  };
  engine = await createPolicyEngine({ ...system, policy }, options);
  const escalation = policy.escalation;
  namespaceBlocksEngine = await createPolicyEngine(
    {
      ...system,
      policy: {
        ...policy,
        escalation: {
          ...escalation,
          alwaysEscalate: {
            ...escalation.alwaysEscalate,
            kinds: escalation.alwaysEscalate.kinds.filter((k) => k !== 'Namespace'),
          },
        },
      },
    },
    options,
  );
});
after(async () => {
  await engine?.close?.();
  await namespaceBlocksEngine?.close?.();
  await opa?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `prod` and `shop`, each with a 3-replica Deployment `web`; an outside address talks to web. */
function inventory() {
  const ns = (namespace: string) => ({
    workload: {
      kind: 'Deployment' as const,
      namespace,
      name: 'web',
      replicas: 3,
      labels: { app: 'web' },
      selector: { app: 'web' },
    },
    pods: [1, 2, 3].map((i) => ({
      namespace,
      name: `web-5c9d7-${i}`,
      uid: `uid-${namespace}-${i}`,
      owner: { kind: 'Deployment', name: 'web' },
      node: 'node-a',
      labels: { app: 'web' },
      ips: [`10.244.${namespace === 'prod' ? 1 : 2}.${i}`],
    })),
  });
  const prod = ns('prod');
  const shop = ns('shop');
  return InventorySnapshot.parse(
    {
      apiVersion: 'vigil.dev/v1alpha1',
      kind: 'Inventory',
      metadata: { name: 'mutations' },
      namespaces: [{ name: 'prod' }, { name: 'shop' }],
      nodes: [{ name: 'node-a', addresses: ['192.0.2.10'], uid: 'uid-node-a' }],
      workloads: [prod.workload, shop.workload],
      pods: [...prod.pods, ...shop.pods],
      serviceAccounts: [],
      users: [],
      networkPolicies: [],
    },
    'test:mutations',
  );
}

function finding(namespace: string, pod: string, extra: Partial<Finding['event']> = {}): Finding {
  return {
    id: `f-${namespace}-${pod}`,
    detectedAt: 1,
    score: 0.9,
    threshold: 0.6,
    modelVersion: 't',
    topFeatures: [],
    event: {
      id: `e-${namespace}-${pod}`,
      time: 1,
      format: 'falco',
      classUid: 1007,
      activity: 'Drop and execute new binary in container',
      severityId: 5,
      actor: {},
      tags: [],
      raw: { rule: 'Drop and execute new binary in container' },
      rule: 'Drop and execute new binary in container',
      process: { name: 'xmrig' },
      workload: { namespace, pod, node: 'node-a' },
      ...extra,
    },
    entities: { workload: `${namespace}/${pod}`, addresses: [] },
  };
}

/** The incident graph wired in-process to the real remediator, reviewer and OPA. */
function soc(
  name: string,
  recommend: (a: Analysis) => Analysis,
  /** Proposes this action instead of the remediator's own choice (as another proposer might). */
  proposed?: unknown,
  policy: () => PolicyEngine = () => engine,
) {
  const dry = new DryRunExecutor(inventory());
  const store = ExecutionStore.open(join(dir, `${name}.db`));
  after(() => store.close());
  const remediator = new Remediator({
    registry: createDefaultRegistry(),
    executor: dry,
    inventory: dry,
    authoriser: createPolicyAuthoriser({ caPem: ca.certPem, reviewer: REVIEWER }),
    store,
  });
  const reviews: { proposal: Proposal; review: Review }[] = [];
  const notified: IncidentSummary[] = [];
  const ports: IncidentPorts = {
    analyse: async (f) => recommend(await analyseFinding(f, {})),
    propose: async (f, a, ctx) => {
      const set = proposed
        ? { proposals: [{ ...(await remediator.assess(proposed)), basis: 'test' }], skipped: [] }
        : await remediator.propose(f, a);
      const signed = await signProposals(
        ctx.incidentId,
        set.proposals,
        await remediator.currentInventory(),
        remediatorId,
      );
      return { proposals: signed as unknown as Proposal[], skipped: set.skipped };
    },
    assess: async (proposalId, action, ctx) => {
      const a = await remediator.assess(action);
      const [p] = await signProposals(
        ctx.incidentId,
        [{ id: proposalId, ...a, basis: 'policy rewrite' }],
        await remediator.currentInventory(),
        remediatorId,
      );
      return p as unknown as Proposal;
    },
    review: async (proposal, f, a, ctx) => {
      const { response: r } = await reviewProposal(
        {
          incidentId: ctx.incidentId,
          proposal: proposal as never,
          analysis: a,
          detectorScore: f.score,
          observed: {
            addresses: f.entities.addresses,
            pods: f.entities.workload ? [f.entities.workload] : [],
          },
        },
        {
          engine: policy(),
          signer: () => reviewer,
          caPem: () => ca.certPem,
          ttlSeconds: 300,
          maxReviewRounds: 2,
          failClosed: 'deny',
        },
      );
      const review = { ...r, action: r.action as Review['action'] };
      reviews.push({ proposal, review });
      return review;
    },
    execute: async (action, authorisation, key) => {
      const record = await remediator.execute(action as Action, authorisation, {
        idempotencyKey: key,
      });
      return {
        executionId: record.id,
        status: record.state === 'done' ? 'succeeded' : 'failed',
        detail: JSON.stringify(record.error ?? record.state),
      };
    },
    requestApprovals: async () => {},
    notify: async (summary) => void notified.push(summary),
    notifyFailure: async (failure) => assert.fail(`incident failed: ${failure.reason}`),
    record: async () => {},
  };
  const graph = buildIncidentGraph(ports, new MemorySaver());
  return {
    dry,
    reviews,
    notified,
    run: async (incidentId: string, f: Finding) => {
      const state = (await graph.invoke(
        { incidentId, finding: f },
        { configurable: { thread_id: incidentId } },
      )) as IncidentStateValue;
      return summarise(state);
    },
  };
}

const only =
  (...types: Analysis['recommendedResponses']) =>
  (a: Analysis): Analysis => ({ ...a, recommendedResponses: types });

test('mutate.delete-pod-to-isolate: a production delete-pod runs as isolate-pod of the same pod', async () => {
  const s = soc('delete', only('delete-pod'));
  const summary = await s.run('inc-delete', finding('prod', 'web-5c9d7-2'));
  const [item] = summary.items;
  assert.equal(item?.review?.decision, 'mutate', item?.review?.reasons.join('; '));
  assert.ok(
    item?.review?.rules.includes('mutate.delete-pod-to-isolate'),
    String(item?.review?.rules),
  );
  assert.deepEqual(item?.review?.action, {
    type: 'isolate-pod',
    target: { namespace: 'prod', pod: 'web-5c9d7-2' },
    parameters: {},
  });
  assert.equal(item?.outcome, 'executed', item?.detail);
  const inv = await s.dry.inventory();
  assert.ok(inv.pod('prod', 'web-5c9d7-2'), 'the pod was kept for forensics');
  assert.ok(inv.pod('prod', 'web-5c9d7-2')?.labels[QUARANTINE_LABEL], 'and quarantined');
  assert.ok(
    inv.networkPolicies().some((p) => p.namespace === 'prod'),
    'behind a deny-all policy',
  );
});

test('mutate.scale-to-zero-to-isolate: scale-to-zero of a 3-replica workload isolates the affected pod, named without its namespace', async () => {
  const s = soc('scale', only('scale-to-zero'));
  const summary = await s.run('inc-scale', finding('shop', 'web-5c9d7-3'));
  const [item] = summary.items;
  assert.equal(item?.proposal.action.type, 'scale-to-zero');
  assert.equal(item?.review?.decision, 'mutate', item?.review?.reasons.join('; '));
  assert.ok(item?.review?.rules.includes('mutate.scale-to-zero-to-isolate'));
  // The finding names the pod "shop/web-5c9d7-3"; isolate-pod's target takes the name alone.
  assert.deepEqual(item?.review?.action.target, { namespace: 'shop', pod: 'web-5c9d7-3' });
  assert.equal(item?.outcome, 'executed', item?.detail);
  const inv = await s.dry.inventory();
  assert.equal(inv.workload('shop', 'Deployment', 'web')?.replicas, 3, 'the service stays up');
  // The rewrite went back through the remediator: its second review saw a Pod asset.
  const second = s.reviews.find((r) => r.proposal.action.type === 'isolate-pod');
  assert.equal(second?.proposal.blastRadius['pods'], 1);
});

test('mutate.narrow-block: a block wider than allowed becomes a block of the one observed address', async () => {
  // Under vigil.yaml as shipped a namespace-scoped block's asset is the Namespace, an
  // always-escalated kind, so escalate.protected-kind decides before any rewrite; this
  // test lifts that one entry to reach the rewrite.
  const s = soc(
    'narrow',
    only('block-ip'),
    {
      type: 'block-ip',
      target: { namespace: 'shop', selector: { app: 'web' } },
      parameters: { cidr: '203.0.0.0/16', direction: 'egress' },
    },
    () => namespaceBlocksEngine,
  );
  const f = finding('shop', 'web-5c9d7-1', { network: { dstIp: '203.0.113.77' } });
  const summary = await s.run('inc-narrow', {
    ...f,
    entities: { ...f.entities, addresses: ['203.0.113.77'] },
  });
  const [item] = summary.items;
  const review = item?.review;
  assert.equal(item?.proposal.action.parameters['cidr'], '203.0.0.0/16');
  assert.equal(review?.decision, 'mutate', review?.reasons.join('; '));
  assert.ok(review?.rules.includes('mutate.narrow-block'), String(review?.rules));
  assert.equal(review?.action.parameters['cidr'], '203.0.113.77/32');
  assert.equal(item?.outcome, 'executed', item?.detail);
  const policies = JSON.stringify((await s.dry.inventory()).networkPolicies());
  assert.match(policies, /203\.0\.113\.77\/32/);
  assert.doesNotMatch(policies, /203\.0\.0\.0\/16/);
});

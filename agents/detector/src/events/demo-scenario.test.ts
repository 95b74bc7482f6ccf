// The demo scenario (@vigil/soc-scenario) as the detector reads it: every line normalises,
// and the attacks carry the details the rules and features look for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { generateScenario, inventoryYaml } from '@vigil/soc-scenario';
import { normaliseEvent } from './normalise.js';
import type { SecurityEvent } from './security-event.js';

const scenario = generateScenario({ seed: 7 });
const events: SecurityEvent[] = scenario.lines.map((l, i) => {
  const r = normaliseEvent(JSON.parse(l));
  if (!r.ok) assert.fail(`line ${i + 1}: ${r.reason}`);
  return r.event;
});

test('the demo scenario is in time order, within its window', () => {
  for (let i = 1; i < events.length; i++)
    assert.ok(
      (events[i] as SecurityEvent).time >= (events[i - 1] as SecurityEvent).time - 1,
      `line ${i + 1} out of order`,
    );
  const first = events[0] as SecurityEvent;
  assert.ok(first.time >= Date.parse('2026-11-20T00:00:00Z'));
  assert.ok((events.at(-1) as SecurityEvent).time < Date.parse('2026-11-21T00:00:00Z'));
});

test('every line normalises and all four OCSF classes and three formats occur', () => {
  const classes = new Set(events.map((e) => e.classUid));
  assert.deepEqual([...classes].sort(), [1007, 2004, 4001, 6003]);
  assert.deepEqual([...new Set(events.map((e) => e.format))].sort(), [
    'falco',
    'k8s-audit',
    'ocsf',
  ]);
  assert.ok(
    events.some((e) => e.origin === 'falcosidekick'),
    'some Falco alerts come through Falcosidekick',
  );
});

function attackEvents(id: string): SecurityEvent[] {
  return scenario.labels.flatMap((l, i) => (l.attack === id ? [events[i] as SecurityEvent] : []));
}

test('the crypto-miner chain: exec, Falco shell, xmrig, pool port 3333', () => {
  const chain = attackEvents('cryptominer');
  assert.ok(chain.some((e) => e.resource?.subresource === 'exec' && e.activity === 'create'));
  assert.ok(chain.some((e) => e.rule === 'Terminal shell in container'));
  assert.ok(chain.some((e) => e.classUid === 1007 && e.process?.name === 'xmrig'));
  assert.ok(chain.some((e) => e.classUid === 4001 && e.network?.dstPort === 3333));
});

test('the other attacks carry their telling details', () => {
  assert.ok(
    attackEvents('sa-token-theft').some(
      (e) =>
        e.resource?.type === 'serviceaccounts' &&
        e.resource.subresource === 'token' &&
        e.actor.user === 'system:serviceaccount:monitoring:grafana',
    ),
  );
  const binding = attackEvents('rbac-escalation').find(
    (e) => e.resource?.type === 'clusterrolebindings',
  );
  assert.equal(
    ((binding?.raw as Record<string, unknown>)['requestObject'] as { roleRef: { name: string } })
      .roleRef.name,
    'cluster-admin',
  );
  assert.ok(attackEvents('anonymous-access').every((e) => e.actor.user === 'system:anonymous'));
  assert.ok(
    attackEvents('exfil-new-destination').every((e) => e.network?.dstIp === '185.220.101.47'),
  );
  assert.ok(
    attackEvents('privileged-pod').some((e) => e.classUid === 2004 && e.tags.includes('T1611')),
  );
});

test('normal traffic never uses the attack-only addresses and identities', () => {
  const normal = scenario.labels.flatMap((l, i) =>
    l.attack === null ? [events[i] as SecurityEvent] : [],
  );
  for (const e of normal) {
    assert.notEqual(e.network?.dstIp, '45.9.148.21');
    assert.notEqual(e.network?.dstIp, '185.220.101.47');
    assert.notEqual(e.actor.user, 'system:anonymous');
    assert.notEqual(e.actor.user, 'dev-contractor@example.com');
  }
});

test('normal traffic is varied: diurnal rate, many identities, rare benign look-alikes', () => {
  const normal = scenario.labels.flatMap((l, i) =>
    l.attack === null ? [events[i] as SecurityEvent] : [],
  );
  const perHour = new Array<number>(24).fill(0);
  for (const e of normal)
    perHour[new Date(e.time).getUTCHours()] = (perHour[new Date(e.time).getUTCHours()] ?? 0) + 1;
  const night = (perHour[2] ?? 0) + (perHour[3] ?? 0) + (perHour[4] ?? 0);
  const afternoon = (perHour[13] ?? 0) + (perHour[14] ?? 0) + (perHour[15] ?? 0);
  assert.ok(afternoon > night * 1.5, `afternoon ${afternoon} vs night ${night}`);
  assert.ok(new Set(normal.map((e) => e.actor.user)).size >= 20);
  assert.ok(
    normal.some((e) => e.actor.user === 'alice@example.com' && e.resource?.type === 'secrets'),
    'an SRE reads a secret',
  );
  assert.ok(
    normal.some((e) => e.actor.user === 'bob@example.com' && e.resource?.subresource === 'exec'),
    'a developer execs into CI',
  );
  assert.ok(
    normal.some((e) => e.rule === 'Terminal shell in container'),
    'benign Falco shell alert',
  );
  assert.ok(
    normal.some(
      (e) => e.actor.user === 'system:serviceaccount:ci:deployer' && e.activity === 'patch',
    ),
    'CI deploys',
  );
});

test('the inventory matches the events: every pod an event names at the end exists, replicas agree', () => {
  const inv = parse(inventoryYaml(scenario.inventory, scenario.summary)) as {
    apiVersion: string;
    kind: string;
    namespaces: { name: string; labels: Record<string, string> }[];
    workloads: { kind: string; namespace: string; name: string; replicas: number }[];
    pods: {
      namespace: string;
      name: string;
      owner?: { kind: string; name: string };
      node: string;
    }[];
    nodes: { name: string }[];
  };
  assert.equal(inv.apiVersion, 'vigil.dev/v1alpha1');
  assert.equal(inv.kind, 'Inventory');
  assert.deepEqual(
    inv.namespaces.map((n) => n.name),
    ['shop', 'payments', 'ci', 'monitoring', 'kube-system', 'vigil'],
  );
  assert.equal(inv.namespaces[0]?.labels['tier'], 'customer-facing');
  const nodes = new Set(inv.nodes.map((n) => n.name));
  for (const w of inv.workloads) {
    const pods = inv.pods.filter(
      (p) => p.owner?.kind === w.kind && p.owner.name === w.name && p.namespace === w.namespace,
    );
    assert.equal(pods.length, w.replicas, `${w.namespace}/${w.name}`);
  }
  for (const p of inv.pods) assert.ok(nodes.has(p.node));
  const podNames = new Set(inv.pods.map((p) => `${p.namespace}/${p.name}`));
  // The attack targets exist (the attacker's bare pod included).
  for (const e of [...attackEvents('cryptominer'), ...attackEvents('privileged-pod')]) {
    const ns = e.workload?.namespace ?? e.resource?.namespace;
    const name = e.workload?.pod ?? (e.resource?.type === 'pods' ? e.resource.name : undefined);
    if (ns !== undefined && name !== undefined)
      assert.ok(podNames.has(`${ns}/${name}`), `${ns}/${name}`);
  }
  assert.ok(inv.pods.some((p) => p.name === 'debug-tools' && p.owner === undefined));
});

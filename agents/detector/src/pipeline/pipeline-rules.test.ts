import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findingSchema, riskScoreOf, type Finding } from '@vigil/soc';
import { generateScenario } from '@vigil/soc-scenario';
import { normaliseEvent } from '../events/normalise.js';
import type { SecurityEvent } from '../events/security-event.js';
import { trainModel } from '../model/train.js';
import { ModelHolder } from '../model/model.js';
import { loadRuleSet } from '../rules/load.js';
import { compileRule, RuleSet, type Rule } from '../rules/rule.js';
import { DetectorPipeline } from './pipeline.js';

const DELIVERY = { source: 'test', ref: 'x', line: 1, attempt: 1 } as const;

function normalise(raw: unknown): SecurityEvent {
  const r = normaliseEvent(raw);
  if (!r.ok) throw new Error(r.reason);
  return r.event;
}

const train = generateScenario({ seed: 101, events: 3000, minutes: 1440 });
const baseline = train.lines
  .map((l) => normalise(JSON.parse(l)))
  .filter((_, i) => train.labels[i]?.attack === null);
const { model } = trainModel(baseline, { alertRate: 0.005, seed: 1, createdAt: new Date(0) });

function ruleOn(id: string, eventId: string, action: Rule['action']): Rule {
  return {
    id,
    title: id,
    techniques: ['T1609'],
    severity: 'high',
    action,
    techniquesFromTags: false,
    severityFromEvent: false,
    source: { kind: 'vigil', licence: 'Apache-2.0', references: [] },
    condition: { field: 'id', equals: eventId },
    fixtures: { positive: [{}], negative: [{}] },
  };
}

test('an alert rule makes an event the forest calls normal a finding, carrying the hit; an annotate rule does not', async () => {
  const probe = new DetectorPipeline({ holder: new ModelHolder(model), forward: async () => {} });
  const normal = baseline.filter((e) => !probe.score(e).anomalous);
  const [alerted, annotated] = [normal[0]!, normal[1]!];
  const findings: Finding[] = [];
  const pipeline = new DetectorPipeline({
    holder: new ModelHolder(model),
    forward: async (f) => void findings.push(f),
    rules: new RuleSet([
      compileRule(ruleOn('alerts', alerted.id, 'alert')),
      compileRule(ruleOn('annotates', annotated.id, 'annotate')),
    ]),
  });
  await pipeline.sink(alerted, DELIVERY);
  await pipeline.sink(annotated, DELIVERY);
  assert.equal(findings.length, 1);
  assert.deepEqual(findings[0]!.detection, {
    severity: 'high',
    ruleHits: [
      { id: 'alerts', title: 'alerts', techniques: ['T1609'], severity: 'high', source: 'vigil' },
    ],
  });
  assert.equal(pipeline.stats().ruleOnlyFindings, 1);
});

test('with the shipped rules a privileged pod becomes a finding valid against the SOC schema, its detection at the highest hit severity', async () => {
  const findings: Finding[] = [];
  const pipeline = new DetectorPipeline({
    holder: new ModelHolder(model),
    forward: async (f) => void findings.push(f),
    rules: loadRuleSet(),
  });
  const event = normalise({
    apiVersion: 'audit.k8s.io/v1',
    kind: 'Event',
    verb: 'create',
    user: { username: 'oidc:mallory@example.com' },
    objectRef: { resource: 'pods', namespace: 'shop', name: 'dbg' },
    requestObject: {
      spec: {
        volumes: [{ name: 's', hostPath: { path: '/var/run/docker.sock' } }],
        containers: [{ name: 'c', image: 'alpine', securityContext: { privileged: true } }],
      },
    },
  });
  await pipeline.sink(event, DELIVERY);
  assert.equal(findings.length, 1);
  const finding = findingSchema.parse(JSON.parse(JSON.stringify(findings[0])));
  const ids = finding.detection?.ruleHits.map((h) => h.id) ?? [];
  assert.ok(ids.includes('vigil-k8s-privileged-container'), ids.join(', '));
  assert.ok(ids.includes('vigil-k8s-runtime-socket'), ids.join(', '));
  assert.equal(finding.detection?.severity, 'critical');
});

test("a kubelet calling from a cloud provider's range is not 'public' once the model knows the ranges; from elsewhere it pages", async () => {
  const node = (ip: string) =>
    normalise({
      apiVersion: 'audit.k8s.io/v1',
      kind: 'Event',
      verb: 'get',
      user: { username: 'system:node:ip-10-0-1-5', groups: ['system:nodes'] },
      sourceIPs: [ip],
      objectRef: { resource: 'pods', namespace: 'shop', name: 'web' },
      responseStatus: { code: 200 },
    });
  const ids = async (m: typeof model) => {
    const hits: string[] = [];
    const pipeline = new DetectorPipeline({
      holder: new ModelHolder(m),
      rules: loadRuleSet(),
      forward: async (f) => void hits.push(...(f.detection?.ruleHits.map((h) => h.id) ?? [])),
    });
    for (const ip of ['52.94.10.20', '198.51.100.9'])
      await pipeline.sink({ ...node(ip), id: ip }, DELIVERY);
    return hits.filter((h) => h === 'vigil-k8s-system-identity-public-address').length;
  };
  // Without ranges both addresses are public.
  assert.equal(await ids(model), 2);
  const withCloud = trainModel(baseline, {
    alertRate: 0.005,
    seed: 1,
    createdAt: new Date(0),
    cloudRanges: ['52.94.0.0/16'],
  }).model;
  assert.equal(await ids(withCloud), 1);
});

test("a finding carries its risk — the rule's severity, the forest's score and the asset's criticality — so the same pod in kube-system ranks above one in an application namespace", async () => {
  const findings: Finding[] = [];
  const pipeline = new DetectorPipeline({
    holder: new ModelHolder(model),
    forward: async (f) => void findings.push(f),
    rules: loadRuleSet(),
  });
  const privileged = (namespace: string) =>
    normalise({
      apiVersion: 'audit.k8s.io/v1',
      kind: 'Event',
      auditID: namespace,
      verb: 'create',
      user: { username: 'oidc:mallory@example.com' },
      objectRef: { resource: 'pods', namespace, name: 'dbg' },
      requestObject: {
        spec: {
          containers: [{ name: 'c', image: 'alpine', securityContext: { privileged: true } }],
        },
      },
    });
  await pipeline.sink(privileged('shop'), DELIVERY);
  await pipeline.sink(privileged('kube-system'), DELIVERY);
  const [shop, system] = findings.map((f) => findingSchema.parse(JSON.parse(JSON.stringify(f))));
  for (const f of [shop!, system!]) {
    const risk = f.risk!;
    assert.equal(risk.severity, f.detection?.severity);
    assert.equal(risk.anomaly, f.score);
    assert.equal(risk.score, riskScoreOf(risk.severity, risk.anomaly, risk.criticality));
  }
  assert.deepEqual([shop!.risk!.criticality, shop!.risk!.asset], ['medium', 'default']);
  assert.deepEqual(
    [system!.risk!.criticality, system!.risk!.asset],
    ['critical', 'control-plane namespaces'],
  );
  assert.ok(system!.risk!.score > shop!.risk!.score);
});

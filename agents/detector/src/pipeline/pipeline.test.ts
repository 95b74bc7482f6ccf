import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findingSchema, type Finding } from '@vigil/soc';
import { generateScenario } from '@vigil/soc-scenario';
import { normaliseEvent } from '../events/normalise.js';
import type { SecurityEvent } from '../events/security-event.js';
import { trainModel } from '../model/train.js';
import { DetectorModel, ModelHolder } from '../model/model.js';
import { DetectorPipeline } from './pipeline.js';

function normalise(lines: readonly string[]): SecurityEvent[] {
  return lines.map((l) => {
    const r = normaliseEvent(JSON.parse(l));
    if (!r.ok) throw new Error(r.reason);
    return r.event;
  });
}

// A baseline of normal traffic at the demo's density (3000 events a day, two days).
const train = generateScenario({ seed: 101, events: 6000, minutes: 2880 });
const baseline = normalise(train.lines).filter((_, i) => train.labels[i]?.attack === null);
const { model } = trainModel(baseline, { alertRate: 0.005, seed: 1, createdAt: new Date(0) });

test('forwards a finding for exactly the events the model flags, each valid against the SOC schema, and counts the rest as filtered', async () => {
  const scenario = generateScenario({ seed: 1 });
  const events = normalise(scenario.lines);
  const findings: Finding[] = [];
  const pipeline = new DetectorPipeline({
    holder: new ModelHolder(model),
    forward: async (f) => void findings.push(f),
    now: () => 0,
  });
  for (const e of events) await pipeline.sink(e, { source: 'test', ref: 'x', line: 1, attempt: 1 });
  const stats = pipeline.stats();
  assert.equal(stats.scored, events.length);
  assert.equal(stats.findings, findings.length);
  assert.equal(
    stats.histogram.reduce((a, b) => a + b, 0),
    events.length,
  );
  assert.ok(stats.filtered > 0.95, `filtered ${stats.filtered}`);
  const probe = new DetectorPipeline({ holder: new ModelHolder(model), forward: async () => {} });
  const expected = events.filter((e) => probe.score(e).anomalous).map((e) => e.id);
  assert.deepEqual(
    findings.map((f) => f.event.id),
    expected,
  );
  assert.equal(stats.reduction, events.length / findings.length);
  // Detection quality is measured by bench/ingest; here: the attacks do surface.
  const flagged = new Set(expected);
  const attacks = new Set(
    scenario.labels.flatMap((l, i) =>
      l.attack !== null && flagged.has((events[i] as SecurityEvent).id) ? [l.attack] : [],
    ),
  );
  assert.ok(attacks.size >= 4, `attacks with a finding: ${[...attacks].join(', ')}`);
  for (const f of findings) {
    findingSchema.parse(JSON.parse(JSON.stringify(f)));
    assert.equal(f.modelVersion, model.id);
    assert.equal(f.topFeatures.length, 5);
  }
  const withPod = findings.find(
    (f) => (f.event as unknown as SecurityEvent).workload?.pod !== undefined,
  );
  const e = withPod?.event as unknown as SecurityEvent | undefined;
  assert.equal(withPod?.entities.workload, `${e?.workload?.namespace}/${e?.workload?.pod}`);
  // A container's process user (root) is not an identity: it would tie unrelated pods.
  assert.equal(withPod?.entities.actor, undefined);
  const fromApi = findings.find(
    (f) => (f.event as unknown as SecurityEvent).workload === undefined,
  );
  const apiUser = (fromApi?.event as unknown as SecurityEvent | undefined)?.actor.user;
  assert.equal(fromApi?.entities.actor, apiUser);
});

test('a failed forward fails the event, so a durable source redelivers it', async () => {
  const scenario = generateScenario({ seed: 1 });
  const events = normalise(scenario.lines);
  const probe = new DetectorPipeline({ holder: new ModelHolder(model), forward: async () => {} });
  const line = events.findIndex(
    (e, i) => scenario.labels[i]?.attack !== null && probe.score(e).anomalous,
  );
  assert.ok(line >= 0);
  const pipeline = new DetectorPipeline({
    holder: new ModelHolder(model),
    forward: async () => {
      throw new Error('coordinator unavailable');
    },
  });
  await assert.rejects(
    pipeline.sink(events[line] as SecurityEvent, { source: 't', ref: 'x', line: 1, attempt: 1 }),
    /coordinator unavailable/,
  );
  assert.equal(pipeline.stats().forwardFailures, 1);
  assert.equal(pipeline.stats().findings, 0);
});

test("Falco's operational alerts are counted as health signals by rule, never scored or forwarded", async () => {
  const drop = normaliseEvent({
    output: 'Falco internal: syscall event drop. 1523 system calls dropped in last second.',
    output_fields: { n_drops: 1523, n_evts: 90211, ebpf_enabled: 1 },
    priority: 'Debug',
    rule: 'Falco internal: syscall event drop',
    source: 'internal',
    time: '2026-11-20T14:03:11.000000000Z',
    hostname: 'node-a',
  });
  const snapshot = normaliseEvent({
    output: 'Falco metrics snapshot',
    output_fields: { 'falco.evts_rate_sec': 1200 },
    priority: 'Informational',
    rule: 'Falco internal: metrics snapshot',
    source: 'internal',
    time: '2026-11-20T14:04:00.000000000Z',
    hostname: 'node-a',
  });
  assert.ok(drop.ok && snapshot.ok);
  const findings: Finding[] = [];
  const seen: [string | undefined, number][] = [];
  const pipeline = new DetectorPipeline({
    // A threshold of −1 makes every scored event a finding: a health signal must not be one.
    holder: new ModelHolder(
      new DetectorModel(
        model.createdAt,
        model.params,
        model.encoder,
        model.forest,
        -1,
        model.calibration,
      ),
    ),
    forward: async (f) => void findings.push(f),
    onHealthSignal: (e, n) => void seen.push([e.rule, n]),
  });
  const ctx = { source: 'test', ref: 'x', line: 1, attempt: 1 };
  await pipeline.sink(drop.event, ctx);
  await pipeline.sink(drop.event, ctx);
  await pipeline.sink(snapshot.event, ctx);
  const stats = pipeline.stats();
  assert.equal(findings.length, 0);
  assert.equal(stats.scored, 0);
  assert.equal(stats.health.total, 3);
  assert.deepEqual(stats.health.byRule, {
    'Falco internal: syscall event drop': 2,
    'Falco internal: metrics snapshot': 1,
  });
  assert.equal(stats.health.lastAt, Date.parse('2026-11-20T14:04:00Z'));
  assert.deepEqual(seen, [
    ['Falco internal: syscall event drop', 1],
    ['Falco internal: syscall event drop', 2],
    ['Falco internal: metrics snapshot', 1],
  ]);
  // A workload alert from Falco is still scored (and here, with threshold −1, forwarded).
  const shell = normaliseEvent(
    JSON.parse(
      readFileSync(
        new URL('../events/fixtures/falco-terminal-shell.json', import.meta.url),
        'utf8',
      ),
    ),
  );
  assert.ok(shell.ok);
  await pipeline.sink(shell.event, ctx);
  assert.equal(pipeline.stats().scored, 1);
  assert.equal(findings.length, 1);
});

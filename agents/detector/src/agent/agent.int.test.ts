import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentContext } from '@vigil/runtime';
import { createLogger, isVigilError } from '@vigil/core';
import { SKILLS, SOC_SKILLS, findingSchema } from '@vigil/soc';
import { generateScenario } from '../scenario/generate.js';
import { normaliseEvent } from '../events/normalise.js';
import type { SecurityEvent } from '../events/security-event.js';
import { trainModel } from '../model/train.js';
import { saveModel } from '../model/model.js';
import { agent } from './agent.js';
import { parseDetectorSettings } from './settings.js';
import { DEFAULT_REPORTED_REJECTIONS } from '../sources/intake-report.js';

const TOKEN = 'agent-token-0123456789abcdef';

/**
 * The runtime context with a recording A2A client: the coordinator side of the mTLS call is
 * the transport's own tested path; here we check what the detector sends and when.
 */
function context(
  stateDir: string,
  settings: Record<string, unknown>,
  calls: { peer: string; skill: string; input: unknown }[],
): AgentContext {
  return {
    system: {} as AgentContext['system'],
    spec: { name: 'detector', calls: ['coordinator'], settings } as unknown as AgentContext['spec'],
    spiffeId: 'spiffe://vigil.test/agent/detector',
    replica: 0,
    stateDir,
    host: '127.0.0.1',
    logger: createLogger('detector-test', { level: 'silent' }),
    client: {
      async callSkill(peer: string, skill: string, input: unknown) {
        calls.push({ peer, skill, input });
        // What a coordinator answers by the handle-finding contract.
        return { kind: 'new', incidentId: `inc-${calls.length}`, entities: [], stormKey: 's' };
      },
      async close() {},
    } as unknown as AgentContext['client'],
    credentials: () => {
      throw new Error('no TLS in this test');
    },
  };
}

test('the detector agent scores events from HTTP and the ingest-events skill and forwards findings to the coordinator', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-detector-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const train = generateScenario({ seed: 101, events: 6000, minutes: 2880 });
  const baseline = train.lines
    .map((l) => normaliseEvent(JSON.parse(l)))
    .flatMap((r, i) =>
      r.ok && train.labels[i]?.attack === null ? [r.event as SecurityEvent] : [],
    );
  const { model } = trainModel(baseline, { seed: 1, createdAt: new Date(0) });
  mkdirSync(join(stateDir, 'detector'));
  await saveModel(model, join(stateDir, 'detector', 'model.json'));

  process.env['VIGIL_TEST_INGEST_TOKEN'] = TOKEN;
  const calls: { peer: string; skill: string; input: unknown }[] = [];
  const ctx = context(stateDir, { http: { port: 0, tokenEnv: 'VIGIL_TEST_INGEST_TOKEN' } }, calls);
  await agent.start?.(ctx);
  t.after(() => agent.stop?.());

  const demo = generateScenario({ seed: 1 });
  const attackLines = demo.lines.filter((_, i) => demo.labels[i]?.attack === 'cryptominer');
  // 250 bad items after the attack: the answer counts them all and names the first 100.
  const bad = Array.from({ length: 250 }, () => ({ nope: 1 }));
  const ingest = agent.skills.find((s) => s.contract.id === SKILLS.ingestEvents);
  assert.ok(ingest, 'the detector implements ingest-events');
  const out = SOC_SKILLS.ingestEvents.output.parse(
    await ingest.handler(
      { events: [...attackLines.map((l) => JSON.parse(l) as unknown), ...bad] },
      {} as never,
    ),
  );
  assert.equal(out.accepted, attackLines.length);
  assert.equal(out.rejected, 250);
  assert.equal(out.records, out.accepted + out.duplicates + out.rejected);
  assert.equal(out.rejections.length, DEFAULT_REPORTED_REJECTIONS);
  assert.equal(out.rejectionsOmitted, 250 - DEFAULT_REPORTED_REJECTIONS);
  assert.equal(out.rejections[0]?.line, attackLines.length + 1, 'named by item number');
  assert.ok(out.findings > 0);
  // The outbox delivers on its own drain loop: wait for it to catch up, then no more calls come.
  await new Promise<void>((resolve) => {
    const check = (): void => void (calls.length >= out.findings ? resolve() : setImmediate(check));
    check();
  });
  assert.equal(calls.length, out.findings);
  for (const c of calls) {
    assert.equal(c.peer, 'coordinator');
    assert.equal(c.skill, SKILLS.handleFinding);
    findingSchema.parse(JSON.parse(JSON.stringify(c.input)));
  }
  await agent.stop?.();
  assert.ok(
    readFileSync(join(stateDir, 'detector', 'dead-letter.ndjson'), 'utf8').length === 0,
    'skill rejections are answered, not dead-lettered',
  );
});

test('refuses settings that would open the endpoint without authentication, or name an unknown field', () => {
  assert.throws(
    () => parseDetectorSettings('detector', { http: { port: 7400 } }),
    /set tokenEnv and\/or mtls/,
  );
  assert.throws(
    () => parseDetectorSettings('detector', { http: { port: 'x' } }),
    (e: unknown) =>
      isVigilError(e, 'VIGIL_CONFIG_DETECTOR_INGEST') &&
      /agents\.detector\.settings\.http\.port/.test((e as Error).message),
  );
  assert.throws(
    () => parseDetectorSettings('detector', { modle: 'x' }),
    /agents\.detector\.settings/,
  );
});

test('fails to start without a model, saying how to train one', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-detector-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  await assert.rejects(
    agent.start?.(context(stateDir, {}, [])) as Promise<void>,
    /vigil detector train/,
  );
});

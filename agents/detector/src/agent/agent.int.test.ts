import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentContext } from '@vigil/runtime';
import { createLogger, isVigilError } from '@vigil/core';
import { SKILLS, SOC_SKILLS, findingSchema } from '@vigil/soc';
import { generateScenario } from '@vigil/soc-scenario';
import { normaliseEvent } from '../events/normalise.js';
import type { SecurityEvent } from '../events/security-event.js';
import { trainModel } from '../model/train.js';
import { saveModel } from '../model/model.js';
import { agent, detectorIntakeStats, detectorIntakeUrl } from './agent.js';
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
    spec: {
      name: 'detector',
      replicas: 1,
      calls: ['coordinator'],
      settings,
    } as unknown as AgentContext['spec'],
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

test("the intake back-off hint is the declaration's, within 1 s to 1 h, named by its path when wrong", () => {
  const defaults = parseDetectorSettings('detector', { http: { tokenEnv: 'T' } });
  assert.deepEqual(defaults.http?.retryAfter, { busySeconds: 1, backlogSeconds: 5 });
  const set = parseDetectorSettings('detector', {
    http: { tokenEnv: 'T', retryAfter: { busySeconds: 2, backlogSeconds: 30 } },
  });
  assert.deepEqual(set.http?.retryAfter, { busySeconds: 2, backlogSeconds: 30 });
  for (const [field, value] of [
    ['busySeconds', 0],
    ['backlogSeconds', 3601],
    ['busySeconds', 1.5],
    ['backlogSeconds', '5'],
  ] as const)
    assert.throws(
      () =>
        parseDetectorSettings('detector', {
          http: { tokenEnv: 'T', retryAfter: { [field]: value } },
        }),
      (e: unknown) =>
        isVigilError(e, 'VIGIL_CONFIG_DETECTOR_INGEST') &&
        (e as Error).message.includes(`agents.detector.settings.http.retryAfter.${field}`),
      `${field}: ${String(value)}`,
    );
  assert.throws(
    () =>
      parseDetectorSettings('detector', { http: { tokenEnv: 'T', retryAfter: { seconds: 3 } } }),
    /agents\.detector\.settings\.http\.retryAfter/,
  );
});

test('a busy intake answers 429 with the declared Retry-After', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-detector-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const train = generateScenario({ seed: 7, events: 1500, minutes: 720 });
  const { model } = trainModel(
    train.lines.flatMap((l) => {
      const r = normaliseEvent(JSON.parse(l));
      return r.ok ? [r.event as SecurityEvent] : [];
    }),
    { seed: 1, createdAt: new Date(0) },
  );
  mkdirSync(join(stateDir, 'detector'));
  await saveModel(model, join(stateDir, 'detector', 'model.json'));
  process.env['VIGIL_TEST_INGEST_TOKEN'] = TOKEN;
  const settings = {
    http: {
      port: 0,
      tokenEnv: 'VIGIL_TEST_INGEST_TOKEN',
      maxQueuedRequests: 0,
      retryAfter: { busySeconds: 9 },
    },
  };
  await agent.start?.(context(stateDir, settings, []));
  t.after(() => agent.stop?.());
  const url = new URL(detectorIntakeUrl() as string);
  const post = (body: string | undefined) => {
    const req = request(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson' },
    });
    const answer = new Promise<{ status: number; retryAfter: string | undefined }>(
      (resolve, reject) => {
        req.once('response', (res) => {
          res.resume();
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'] as string,
          });
        });
        req.once('error', reject);
      },
    );
    if (body === undefined) req.flushHeaders();
    else req.end(body);
    return { req, answer };
  };
  // One request holds the intake's turn while its body is still arriving: it is being read.
  const holder = post(undefined);
  holder.req.write(`${train.lines.slice(0, 200).join('\n')}\n`);
  while ((detectorIntakeStats()['http']?.processed ?? 0) === 0)
    await new Promise<void>((resolve) => setImmediate(resolve));
  const refused = await post(`${train.lines[0]}\n`).answer;
  assert.equal(refused.status, 429);
  assert.equal(refused.retryAfter, '9');
  holder.req.end();
  assert.equal((await holder.answer).status, 202);
});

test('fails to start without a model, saying how to train one', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-detector-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  await assert.rejects(
    agent.start?.(context(stateDir, {}, [])) as Promise<void>,
    /vigil detector train/,
  );
});

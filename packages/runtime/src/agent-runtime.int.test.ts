import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger, isVigilError } from '@vigil/core';
import { ensureIdentities, issueAgentCertificate } from '@vigil/pki';
import { parseAgentSystem } from '@vigil/registry';
import { startAgentRuntime } from './agent-runtime.js';
import type { AgentDefinition } from './definition.js';

const quiet = createLogger('test', { level: 'silent' });
const system = parseAgentSystem(
  [
    'apiVersion: vigil.dev/v1alpha1',
    'kind: AgentSystem',
    'metadata: { name: rt }',
    'trustDomain: rt.vigil.local',
    'agents:',
    '  - { name: solo, role: test, implementation: "@vigil/echo", skills: [{ id: greet }, { id: count }] }',
  ].join('\n'),
  'inline.yaml',
);

function stateDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('refuses to start when a declared skill has no handler, naming it', async (t) => {
  const dir = stateDir(t);
  await ensureIdentities(dir, system);
  const definition: AgentDefinition = { skills: { greet: async () => 'hi' } };
  await assert.rejects(
    startAgentRuntime({
      system,
      agentName: 'solo',
      stateDir: dir,
      definition,
      logger: quiet,
      watchCredentials: false,
    }),
    (e: unknown) => isVigilError(e, 'VIGIL_RUNTIME_SKILL_MISSING') && /"count"/.test(e.message),
  );
});

test('an agent whose start() throws does not start, and its error says why', async (t) => {
  const dir = stateDir(t);
  await ensureIdentities(dir, system);
  const definition: AgentDefinition = {
    skills: { greet: async () => 'hi', count: async () => 1 },
    start: async () => {
      throw new Error('database unreachable');
    },
  };
  await assert.rejects(
    startAgentRuntime({
      system,
      agentName: 'solo',
      stateDir: dir,
      definition,
      logger: quiet,
      watchCredentials: false,
    }),
    (e: unknown) =>
      isVigilError(e, 'VIGIL_RUNTIME_START_FAILED') && /database unreachable/.test(e.message),
  );
});

test('an unknown agent name is refused with the declared names', async (t) => {
  const dir = stateDir(t);
  await assert.rejects(
    startAgentRuntime({ system, agentName: 'ghost', stateDir: dir, logger: quiet }),
    (e: unknown) => isVigilError(e, 'VIGIL_RUNTIME_UNKNOWN_AGENT') && /solo/.test(e.message),
  );
});

test('runs skills, reloads rotated credentials in place, and stops after draining', async (t) => {
  const dir = stateDir(t);
  await ensureIdentities(dir, system);
  let stopped = false;
  const definition: AgentDefinition = {
    skills: {
      greet: async (input, ctx) => ({ hello: ctx.caller.name, input }),
      count: async () => 1,
    },
    stop: async () => {
      stopped = true;
    },
    status: () => ({ greeted: 0 }),
  };
  const runtime = await startAgentRuntime({
    system,
    agentName: 'solo',
    stateDir: dir,
    definition,
    logger: quiet,
    watchCredentials: false,
  });
  t.after(() => runtime.shutdown().catch(() => undefined));
  const ready = await fetch(`${runtime.healthUrl}/readyz`);
  assert.equal(ready.status, 200);
  // The agent's own counters ride along in the readiness body.
  assert.deepEqual(((await ready.json()) as { agentStatus?: unknown }).agentStatus, {
    greeted: 0,
  });
  const result = await runtime.invoke('greet', { x: 1 });
  assert.deepEqual(result.output, { hello: 'operator', input: { x: 1 } });
  assert.match(result.traceId, /^[0-9a-f]{32}$/);
  await assert.rejects(runtime.invoke('nope', {}), (e: unknown) =>
    isVigilError(e, 'VIGIL_RUNTIME_UNKNOWN_SKILL'),
  );

  const before = runtime.certificate();
  await issueAgentCertificate(dir, system, 'solo', { reason: 'test' });
  const after = await runtime.reloadCredentials();
  assert.notEqual(after.fingerprintSha256, before.fingerprintSha256);
  assert.deepEqual(runtime.certificate(), after);

  // A broken key on disk: the reload fails and the current credentials stay.
  writeFileSync(join(dir, 'pki', 'agents', 'solo.key'), 'not a key');
  await assert.rejects(runtime.reloadCredentials());
  assert.deepEqual(runtime.certificate(), after);

  await runtime.shutdown();
  assert.equal(stopped, true);
  await assert.rejects(fetch(`${runtime.healthUrl}/livez`));
});

test('picks up a certificate rewritten on disk without being told', async (t) => {
  const dir = stateDir(t);
  await ensureIdentities(dir, system);
  const definition: AgentDefinition = { skills: { greet: async () => 'hi', count: async () => 1 } };
  const runtime = await startAgentRuntime({
    system,
    agentName: 'solo',
    stateDir: dir,
    definition,
    logger: quiet,
  });
  t.after(() => runtime.shutdown());
  const before = runtime.certificate().fingerprintSha256;
  const issued = await issueAgentCertificate(dir, system, 'solo', { reason: 'test' });
  const deadline = Date.now() + 30_000;
  while (runtime.certificate().fingerprintSha256 === before) {
    assert.ok(Date.now() < deadline, 'the file watcher never reloaded the certificate');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.equal(runtime.certificate().fingerprintSha256, issued.fingerprintSha256);
});

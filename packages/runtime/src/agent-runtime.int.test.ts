import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { createLogger, defineSkill, isVigilError } from '@vigil/core';
import {
  agentCredentialPaths,
  ensureIdentities,
  inspectCertificate,
  issueAgentCertificate,
  pkiPaths,
} from '@vigil/pki';
import { parseAgentSystem } from '@vigil/registry';
import { startAgentRuntime } from './agent-runtime.js';
import { implementSkill, type AgentDefinition } from './definition.js';

const quiet = createLogger('test', { level: 'silent' });
const GREET = defineSkill({
  id: 'greet',
  input: z.object({ x: z.number() }).default({ x: 0 }),
  output: z.object({ hello: z.string(), input: z.object({ x: z.number() }) }).or(z.string()),
});
const COUNT = defineSkill({ id: 'count', input: z.unknown(), output: z.number() });
const greetHi = implementSkill(GREET, async () => 'hi');
const countOne = implementSkill(COUNT, async () => 1);
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
  const definition: AgentDefinition = { skills: [greetHi] };
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

test('refuses an implementation that serves one skill id twice', async (t) => {
  const dir = stateDir(t);
  await ensureIdentities(dir, system);
  await assert.rejects(
    startAgentRuntime({
      system,
      agentName: 'solo',
      stateDir: dir,
      definition: { skills: [greetHi, countOne, implementSkill(GREET, async () => 'again')] },
      logger: quiet,
      watchCredentials: false,
    }),
    (e: unknown) => isVigilError(e, 'VIGIL_RUNTIME_SKILL_DUPLICATE') && /"greet"/.test(e.message),
  );
});

test('an agent whose start() throws does not start, and its error says why', async (t) => {
  const dir = stateDir(t);
  await ensureIdentities(dir, system);
  const definition: AgentDefinition = {
    skills: [greetHi, countOne],
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
    skills: [
      implementSkill(GREET, async (input, ctx) => ({ hello: ctx.caller.name, input })),
      countOne,
    ],
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
  // The callee validates the input by the contract before the handler runs.
  await assert.rejects(
    runtime.invoke('greet', { x: 'one' }),
    (e: unknown) =>
      isVigilError(e, 'VIGIL_RUNTIME_SKILL_INPUT_INVALID') && /input\.x: /.test(e.message),
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
  const definition: AgentDefinition = { skills: [greetHi, countOne] };
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

/**
 * Writes `files` the way the kubelet updates a Secret volume: a fresh timestamped
 * directory, a `..data` symlink renamed over the old one (atomic), and each key a
 * symlink through `..data`.
 */
function writeSecretVolume(dir: string, files: Record<string, string>, generation: number): void {
  const stamp = `..2026_12_07_00_00_0${generation}.${generation}`;
  mkdirSync(join(dir, stamp));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, stamp, name), text);
  symlinkSync(stamp, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const name of Object.keys(files)) {
    if (!existsSync(join(dir, name))) symlinkSync(join('..data', name), join(dir, name));
  }
}

function secretFiles(state: string): Record<string, string> {
  const paths = agentCredentialPaths(state, 'solo');
  return {
    'tls.crt': readFileSync(paths.cert, 'utf8'),
    'tls.key': readFileSync(paths.key, 'utf8'),
    'ca.crt': readFileSync(pkiPaths(state).caCert, 'utf8'),
  };
}

test('in a pod: reads tls.crt/tls.key/ca.crt from a mounted Secret and reloads when the kubelet swaps it', async (t) => {
  const state = stateDir(t);
  const tls = stateDir(t);
  await ensureIdentities(state, system);
  writeSecretVolume(tls, secretFiles(state), 1);
  const definition: AgentDefinition = { skills: [greetHi, countOne] };
  // The state directory holds no identity of its own here: only the Secret is read.
  const empty = stateDir(t);
  const runtime = await startAgentRuntime({
    system,
    agentName: 'solo',
    stateDir: empty,
    tlsDir: tls,
    host: '0.0.0.0',
    definition,
    logger: quiet,
  });
  t.after(() => runtime.shutdown());
  const before = runtime.certificate().fingerprintSha256;
  const served = inspectCertificate(secretFiles(state)['tls.crt'] ?? '').fingerprintSha256;
  assert.equal(before, served);
  // Bound to every address, so the kubelet's probe on the pod IP reaches it.
  assert.equal((await fetch(`http://127.0.0.1:${runtime.healthPort}/readyz`)).status, 200);

  const issued = await issueAgentCertificate(state, system, 'solo', {
    reason: 'cert-manager renewal',
  });
  writeSecretVolume(tls, secretFiles(state), 2);
  const deadline = Date.now() + 30_000;
  while (runtime.certificate().fingerprintSha256 === before) {
    assert.ok(Date.now() < deadline, 'the Secret volume swap never reloaded the certificate');
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(runtime.certificate().fingerprintSha256, issued.fingerprintSha256);
});

test('in a pod with csi-driver-spiffe: serves the ServiceAccount ID the driver issued, and refuses an /agent/ one', async (t) => {
  const saSystem = parseAgentSystem(
    [
      'apiVersion: vigil.dev/v1alpha1',
      'kind: AgentSystem',
      'metadata: { name: rt, namespace: agents }',
      'trustDomain: rt.vigil.local',
      'identity: { spiffeIds: service-account }',
      'agents:',
      '  - { name: solo, role: test, implementation: "@vigil/echo", skills: [{ id: greet }, { id: count }] }',
    ].join('\n'),
    'inline.yaml',
  );
  const start = (tls: string) =>
    startAgentRuntime({
      system: saSystem,
      agentName: 'solo',
      stateDir: stateDir(t),
      tlsDir: tls,
      definition: { skills: [greetHi, countOne] },
      logger: quiet,
      watchCredentials: false,
    });
  const driverIssued = stateDir(t);
  await ensureIdentities(driverIssued, saSystem);
  const volume = stateDir(t);
  writeSecretVolume(volume, secretFiles(driverIssued), 1);
  const runtime = await start(volume);
  t.after(() => runtime.shutdown());
  assert.equal(runtime.spiffeId, 'spiffe://rt.vigil.local/ns/agents/sa/solo');
  assert.equal(
    runtime.certificate().fingerprintSha256,
    inspectCertificate(secretFiles(driverIssued)['tls.crt'] ?? '').fingerprintSha256,
  );

  const agentForm = stateDir(t);
  await ensureIdentities(agentForm, system);
  const wrong = stateDir(t);
  writeSecretVolume(wrong, secretFiles(agentForm), 1);
  await assert.rejects(
    start(wrong),
    /credentials are for spiffe:\/\/rt\.vigil\.local\/agent\/solo/,
  );
});

test('a Secret directory without ca.crt is refused at start, naming the file', async (t) => {
  const state = stateDir(t);
  const tls = stateDir(t);
  await ensureIdentities(state, system);
  const files = secretFiles(state);
  delete files['ca.crt'];
  writeSecretVolume(tls, files, 1);
  await assert.rejects(
    startAgentRuntime({
      system,
      agentName: 'solo',
      stateDir: state,
      tlsDir: tls,
      definition: { skills: [greetHi, countOne] },
      logger: quiet,
      watchCredentials: false,
    }),
    (e: unknown) => isVigilError(e, 'VIGIL_PKI_CA_MISSING') && e.message.includes('ca.crt'),
  );
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, runVigil, type VigilRun } from '../testing/run-vigil.js';

const CONFIG = join(REPO_ROOT, 'examples/two-agent/vigil.yaml');

/** Runs the real `vigil` binary with the two-agent example and `stateDir`. */
function vigil(stateDir: string, args: readonly string[]): Promise<VigilRun> {
  return runVigil(['-f', CONFIG, '--state-dir', stateDir, ...args]);
}

test('vigil pki init creates the CA and identities; inspect shows them; rotate re-issues one agent', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-cli-pki-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));

  const init = await vigil(stateDir, ['--json', 'pki', 'init']);
  assert.equal(init.code, 0, init.stderr);
  const created = JSON.parse(init.stdout) as {
    trustDomain: string;
    identities: { agent: string; issued: boolean; reason: string }[];
  };
  assert.equal(created.trustDomain, 'two-agent.vigil.local');
  assert.deepEqual(
    created.identities.map((id) => [id.agent, id.issued, id.reason]),
    [
      ['greeter', true, 'missing'],
      ['echo', true, 'missing'],
    ],
  );
  assert.equal(statSync(join(stateDir, 'pki', 'ca.key')).mode & 0o777, 0o600);

  const again = await vigil(stateDir, ['--json', 'pki', 'init']);
  assert.deepEqual(
    (JSON.parse(again.stdout) as { identities: { issued: boolean }[] }).identities.map(
      (id) => id.issued,
    ),
    [false, false],
  );

  const inspect = await vigil(stateDir, ['pki', 'inspect', 'echo']);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.match(inspect.stdout, /SPIFFE ID +spiffe:\/\/two-agent\.vigil\.local\/agent\/echo/);
  assert.match(inspect.stdout, /subject +CN=echo/);
  assert.match(inspect.stdout, /issuer +CN=Vigil local CA/);
  assert.match(inspect.stdout, /SHA-256 +([0-9A-F]{2}:){31}[0-9A-F]{2}/);
  assert.match(inspect.stdout, /status +valid/);
  const before = JSON.parse(
    (await vigil(stateDir, ['--json', 'pki', 'inspect', 'echo'])).stdout,
  ) as {
    fingerprintSha256: string;
    chain: { ok: boolean };
  };
  assert.equal(before.chain.ok, true);

  const rotate = await vigil(stateDir, ['--json', 'pki', 'rotate', 'echo']);
  assert.equal(rotate.code, 0, rotate.stderr);
  const rotated = JSON.parse(rotate.stdout) as {
    identities: { agent: string; reason: string; fingerprintSha256: string }[];
  };
  assert.deepEqual(
    rotated.identities.map((id) => [id.agent, id.reason]),
    [['echo', 'forced']],
  );
  assert.notEqual(rotated.identities[0]!.fingerprintSha256, before.fingerprintSha256);
});

test('vigil pki inspect of an undeclared agent is a usage error (exit 2)', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-cli-pki-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const result = await vigil(stateDir, ['pki', 'inspect', 'notifer']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /VIGIL_USAGE: unknown agent "notifer"/);
  const missing = await vigil(stateDir, ['pki', 'inspect', 'echo']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /VIGIL_PKI_IDENTITY_MISSING/);
});

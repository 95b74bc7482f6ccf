import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runVigil } from '../testing/run-vigil.js';

test('vigil policy eval prints the verdict, its rules and the action to execute', async () => {
  const run = await runVigil([
    'policy',
    'eval',
    '--input',
    'policies/examples/block-wide-range.json',
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^decision: {3}mutate$/m);
  assert.match(
    run.stdout,
    /mutate\.narrow-block: block of 203\.0\.0\.0\/16 becomes a block of the observed address 203\.0\.113\.9\/32/,
  );
  assert.match(run.stdout, /"cidr":"203\.0\.113\.9\/32"/);
  assert.match(run.stdout, /revision: {3}sha256:[0-9a-f]{64}/);
});

test('vigil policy eval --json escalates kube-system and never allows malformed input', async (t) => {
  const escalated = await runVigil([
    'policy',
    'eval',
    '--json',
    '--input',
    'policies/examples/isolate-kube-system.json',
  ]);
  assert.equal(escalated.code, 0, escalated.stderr);
  const verdict = JSON.parse(escalated.stdout) as {
    decision: string;
    rules: string[];
    backend: string;
  };
  assert.equal(verdict.decision, 'escalate');
  assert.deepEqual(verdict.rules, ['escalate.protected-namespace']);
  assert.equal(verdict.backend, 'opa-wasm');

  const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-policy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ action: { type: 'delete-pod' } }));
  const malformed = await runVigil(['policy', 'eval', '--json', '--input', join(dir, 'bad.json')]);
  const failed = JSON.parse(malformed.stdout) as { decision: string; rules: string[] };
  assert.notEqual(failed.decision, 'allow');
  assert.deepEqual(failed.rules, ['vigil.fail-closed.input-invalid']);

  writeFileSync(join(dir, 'not.json'), '{');
  const usage = await runVigil(['policy', 'eval', '--input', join(dir, 'not.json')]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /is not JSON/);
});

test('vigil policy test reports the Rego tests and coverage; build reports the wasm module', async () => {
  const tested = await runVigil(['policy', 'test', '--json']);
  assert.equal(tested.code, 0, tested.stderr);
  const report = JSON.parse(tested.stdout) as {
    failed: number;
    passed: number;
    coveragePercent: number;
  };
  assert.equal(report.failed, 0);
  assert.ok(report.coveragePercent >= 90);
  const built = await runVigil(['policy', 'build', '--json']);
  assert.equal(built.code, 0, built.stderr);
  const result = JSON.parse(built.stdout) as { wasm: string; bytes: number; revision: string };
  assert.match(result.wasm, /\.tools\/cache\/policy-wasm\/[0-9a-f]{32}\.wasm$/);
  assert.ok(result.bytes > 1000);
  assert.match(result.revision, /^sha256:/);
});

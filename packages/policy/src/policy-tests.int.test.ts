import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPolicyTests } from './policy-tests.js';
import { SOC_BUNDLE_DIR } from './testing/fixtures.js';

test('the SOC policy passes its opa tests with at least 90% line coverage', async () => {
  const report = await runPolicyTests(SOC_BUNDLE_DIR);
  assert.deepEqual(report.failures, []);
  assert.ok(report.passed >= 40, `only ${report.passed} tests ran`);
  assert.ok(report.coveragePercent >= 90, `coverage ${report.coveragePercent}%`);
  assert.ok(report.files.every((f) => !f.path.endsWith('_test.rego')));
});

test('reports failing Rego tests, and uncovered lines once they pass', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-policy-tests-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'p.rego'),
    'package p\n\nallow if input.ok\n\nunused := x if {\n\tx := input.never\n}\n',
  );
  writeFileSync(
    join(dir, 'p_test.rego'),
    'package p_test\n\nimport data.p\n\ntest_allow if p.allow with input as {"ok": true}\n\ntest_wrong if p.allow with input as {"ok": false}\n',
  );
  const report = await runPolicyTests(dir);
  assert.equal(report.passed, 1);
  assert.equal(report.failed, 1);
  assert.match(report.failures[0]?.name ?? '', /test_wrong/);
  assert.equal(report.coveragePercent, 0);
  writeFileSync(
    join(dir, 'p_test.rego'),
    'package p_test\n\nimport data.p\n\ntest_allow if p.allow with input as {"ok": true}\n',
  );
  const passing = await runPolicyTests(dir);
  assert.equal(passing.failed, 0);
  assert.ok(
    passing.coveragePercent > 0 && passing.coveragePercent < 100,
    String(passing.coveragePercent),
  );
  assert.deepEqual(passing.files[0]?.notCoveredLines, [5, 6]);
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadPolicySource, loadPolicyTestModules } from './bundle.js';
import { describePolicyRules } from './policy-rules.js';
import { runPolicyTests } from './policy-tests.js';
import { SOC_BUNDLE_DIR } from './testing/fixtures.js';

const POLICY = `package p

# Never on Sundays.
deny["deny.sunday"] := "it is Sunday" if {
\tinput.day == "sunday"
}

deny["deny.sunday"] := "it is Sunday (abbreviated)" if {
\tinput.day == "sun"
}

deny["deny.never-tested"] := "x" if {
\tinput.never == true
}

escalate["escalate.big"] := "big" if input.size > 10
`;

const TESTS = `package p_test

import data.p

test_sunday_denied if {
\tp.deny["deny.sunday"] with input as {"day": "sunday"}
}

test_monday_passes if {
\tnot p.deny["deny.sunday"] with input as {"day": "monday"}
}

test_big if p.escalate["escalate.big"] with input as {"size": 11}
`;

test('names each rule with its tests, fired definitions and uncovered lines', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-policy-rules-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'p.rego'), POLICY);
  writeFileSync(join(dir, 'p_test.rego'), TESTS);
  const source = await loadPolicySource(dir);
  const tests = await loadPolicyTestModules(dir);
  const rules = describePolicyRules(source, tests, await runPolicyTests(dir));
  assert.deepEqual(
    rules.map((r) => [
      r.id,
      r.set,
      r.line,
      r.definitions,
      r.testedBy,
      r.coverage?.firedDefinitions,
    ]),
    [
      ['deny.never-tested', 'deny', 12, 1, [], 0],
      ['deny.sunday', 'deny', 4, 2, ['test_sunday_denied', 'test_monday_passes'], 1],
      ['escalate.big', 'escalate', 16, 1, ['test_big'], 1],
    ],
  );
  assert.equal(rules[1]!.description, 'Never on Sundays.');
  // The abbreviated body and the untested rule's body never ran.
  assert.deepEqual(rules[1]!.coverage?.notCoveredLines, [8, 9]);
  assert.deepEqual(rules[0]!.coverage?.notCoveredLines, [12, 13]);
  // Without a passing run there is no coverage, only the tests that name each rule.
  const untested = describePolicyRules(source, tests, null);
  assert.equal(untested[1]!.coverage, null);
  assert.equal(untested[1]!.testedBy.length, 2);
});

test('every rule of the SOC policy is named by a test and fires in one', async () => {
  const rules = describePolicyRules(
    await loadPolicySource(SOC_BUNDLE_DIR),
    await loadPolicyTestModules(SOC_BUNDLE_DIR),
    await runPolicyTests(SOC_BUNDLE_DIR),
  );
  assert.ok(rules.length >= 15, `${rules.length} rules`);
  for (const r of rules) {
    assert.ok(r.testedBy.length > 0, `${r.id} is named by no test`);
    assert.ok((r.coverage?.firedDefinitions ?? 0) > 0, `${r.id} never fires in a test`);
  }
});

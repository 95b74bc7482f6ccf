import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { toolBinary } from '@vigil/testkit';

const KYVERNO_DIR = resolve(fileURLToPath(import.meta.url), '../../../../policies/kyverno');

interface KyvernoRun {
  readonly code: number;
  readonly output: string;
  readonly passed: number;
  readonly failed: number;
}

/** `kyverno test <dir>` with the CLI scripts/setup.sh builds; the summary line parsed. */
function kyvernoTest(dir: string): Promise<KyvernoRun> {
  const bin = toolBinary('kyverno');
  return new Promise((done, fail) => {
    execFile(bin, ['test', dir], { maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      if (error && code === -1) return fail(error);
      const output = `${stdout}${stderr}`;
      const summary = /Test Summary: (\d+) tests? passed and (\d+) tests? failed/.exec(output);
      done({
        code,
        output,
        passed: Number(summary?.[1] ?? 0),
        failed: Number(summary?.[2] ?? -1),
      });
    });
  });
}

test('kyverno test policies/kyverno: every case passes with the real Kyverno CLI', async () => {
  const run = await kyvernoTest(KYVERNO_DIR);
  assert.equal(run.code, 0, run.output);
  assert.equal(run.failed, 0, run.output);
  assert.ok(run.passed >= 40, `only ${run.passed} Kyverno tests ran:\n${run.output}`);
});

test('a wrong expectation in kyverno-test.yaml fails the run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-kyverno-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(KYVERNO_DIR, dir, { recursive: true });
  const file = join(dir, 'kyverno-test.yaml');
  const original = readFileSync(file, 'utf8');
  // The Deployment without limits claimed to pass the limits rule: the engine disagrees.
  const broken = original.replace(
    /(rule: require-limits\n {4}kind: Deployment\n {4}resources:\n {6}- no-limits\n {4}result: )fail/,
    '$1pass',
  );
  assert.notEqual(broken, original, 'the fixture edit applies');
  writeFileSync(file, broken);
  const run = await kyvernoTest(dir);
  assert.notEqual(run.code, 0, run.output);
  assert.ok(run.failed >= 1, run.output);
});

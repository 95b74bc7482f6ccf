import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import prettier from 'prettier';

const root = new URL('..', import.meta.url).pathname;
const script = join(root, 'scripts', 'run-tests.mjs');

interface Plan {
  steps: { name: string; command: string[] }[];
  files: string[];
}

function plan(...args: string[]): Plan {
  return JSON.parse(
    execFileSync(process.execPath, [script, '--plan', ...args], { cwd: root, encoding: 'utf8' }),
  ) as Plan;
}

test('npm test runs the run-tests script with nothing skipped', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  assert.equal(pkg.scripts['test'], 'node scripts/run-tests.mjs');
});

test('a full run type-checks, lints and checks formatting before any test', () => {
  const { steps, files } = plan();
  assert.deepEqual(
    steps.map((s) => s.name),
    ['type check', 'lint', 'format check', 'tests'],
  );
  const [typecheck, lint, format, tests] = steps.map((s) => s.command.join(' '));
  assert.match(typecheck!, /tsc -b$/);
  assert.match(lint!, /eslint .*\.$/);
  assert.match(format!, /prettier --check .*\.$/);
  // The Rego unit tests are one of the test files, and so is this one.
  assert.ok(files.includes('packages/policy/src/policy-tests.int.test.ts'));
  assert.ok(files.includes('scripts/run-tests.test.ts'));
  assert.ok(tests!.endsWith(files.join(' ')));
});

test('a run filtered to some test files skips the checks', () => {
  const { steps, files } = plan('packages/registry/');
  assert.deepEqual(
    steps.map((s) => s.name),
    ['tests'],
  );
  assert.ok(files.length > 0 && files.every((f) => f.startsWith('packages/registry/')));
  assert.deepEqual(
    plan('--no-checks').steps.map((s) => s.name),
    ['tests'],
  );
});

// Generated and installed trees are never linted or format-checked: state directories
// (also an example's), the shared toolchain, build output, bench results and coverage.
const GENERATED = [
  '.vigil/audit/state.json',
  'examples/soc-demo/.vigil/run/x.ts',
  '.tools/bin/x.js',
  'node_modules/x/index.js',
  'packages/core/dist/index.js',
  'bench/results/ingest.json',
  'bench/.venv/lib/x.js',
  'coverage/lcov.json',
];

test('prettier ignores generated trees but checks the sources', async () => {
  const ignorePath = [join(root, '.gitignore'), join(root, '.prettierignore')];
  for (const file of GENERATED) {
    const info = await prettier.getFileInfo(join(root, file), { ignorePath });
    assert.equal(info.ignored, true, file);
  }
  const source = await prettier.getFileInfo(join(root, 'packages/core/src/index.ts'), {
    ignorePath,
  });
  assert.equal(source.ignored, false);
});

test('eslint ignores generated trees but lints the sources', async () => {
  const eslint = new ESLint({ cwd: root });
  for (const file of GENERATED) {
    assert.equal(await eslint.isPathIgnored(join(root, file)), true, file);
  }
  assert.equal(await eslint.isPathIgnored(join(root, 'packages/core/src/index.ts')), false);
});

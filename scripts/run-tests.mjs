#!/usr/bin/env node
// `npm test`: the checks first, then every test file with node:test through tsx.
//
// A full run (no path filters) type-checks (`tsc -b`), lints (ESLint) and checks the
// formatting (Prettier) before any test starts, and stops at the first check that fails,
// naming it: a test run on code that does not type-check proves nothing. The Rego unit
// tests run as one of the test files (packages/policy/src/policy-tests.int.test.ts).
//
// Node 20 does not expand globs in `--test`, so the files are listed here.
//   --unit        leaves out `*.int.test.ts` (integration tests that start real servers)
//   --no-checks   runs the tests only
//   --plan        prints the steps as JSON and runs nothing
// Other arguments filter test files by path substring; a filtered run skips the checks
// (it is the quick loop while working on one package).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const SKIP_DIRS = new Set([
  'node_modules',
  '.git',
  '.vigil',
  '.tools',
  '.venv',
  'dist',
  'coverage',
]);
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const planOnly = args.includes('--plan');
const filters = args.filter((a) => !a.startsWith('--'));
const runChecks = filters.length === 0 && !args.includes('--no-checks');

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) yield* walk(join(dir, entry.name));
    } else if (entry.name.endsWith('.test.ts')) {
      yield relative(root, join(dir, entry.name));
    }
  }
}

const bin = (name) => join(root, 'node_modules', '.bin', name);
const checks = [
  { name: 'type check', command: [bin('tsc'), '-b'] },
  { name: 'lint', command: [bin('eslint'), '--max-warnings=0', '.'] },
  { name: 'format check', command: [bin('prettier'), '--check', '--log-level=warn', '.'] },
];

const files = [...walk(root)]
  .filter((f) => !unitOnly || !f.endsWith('.int.test.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
const steps = [
  ...(runChecks ? checks : []),
  {
    name: 'tests',
    command: [
      process.execPath,
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=2',
      '--test-timeout=300000',
      ...files,
    ],
  },
];

if (planOnly) {
  console.log(JSON.stringify({ steps, files }, null, 2));
  process.exit(0);
}
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}
for (const [i, step] of steps.entries()) {
  const [command, ...rest] = step.command;
  if (step.name !== 'tests') console.error(`run-tests: [${i + 1}/${steps.length}] ${step.name}`);
  const result = spawnSync(command, rest, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    const why = result.error ? result.error.message : `exit ${result.status ?? result.signal}`;
    if (step.name === 'tests') process.exit(result.status || 1);
    const shown = [relative(root, command), ...rest].join(' ');
    console.error(`run-tests: ${step.name} failed (${why}): \`${shown}\`; no test was run`);
    process.exit(result.status || 1);
  }
}

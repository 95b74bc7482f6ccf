#!/usr/bin/env node
// Runs every test file with node:test through tsx. Node 20 does not expand globs in
// `--test`, so the files are listed here. `--unit` leaves out `*.int.test.ts`
// (integration tests that start real servers); extra arguments filter by path substring.
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
const filters = args.filter((a) => !a.startsWith('--'));

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) yield* walk(join(dir, entry.name));
    } else if (entry.name.endsWith('.test.ts')) {
      yield relative(root, join(dir, entry.name));
    }
  }
}

const files = [...walk(root)]
  .filter((f) => !unitOnly || !f.endsWith('.int.test.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);

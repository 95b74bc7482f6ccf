import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, runVigil, tempDir } from '../testing/run-vigil.js';

test('vigil scenario generate --expect writes the labelled demo scenario exactly as committed', async (t) => {
  const dir = tempDir(t, 'scenario-eval');
  const run = await runVigil([
    'scenario',
    'generate',
    '-o',
    join(dir, 'scenario.ndjson'),
    '--expect',
    'examples/soc-demo/expectations.ndjson',
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /labelled scenario for vigil eval: .*scenario\.eval\.ndjson/);
  const committed = join(REPO_ROOT, 'examples/soc-demo/scenario.eval.ndjson');
  assert.ok(
    readFileSync(join(dir, 'scenario.eval.ndjson')).equals(readFileSync(committed)),
    'examples/soc-demo/scenario.eval.ndjson is what the generator writes',
  );
  // The events are the demo's own, line for line.
  const events = readFileSync(join(REPO_ROOT, 'examples/soc-demo/scenario.ndjson'), 'utf8')
    .trimEnd()
    .split('\n');
  const labelled = readFileSync(committed, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; event?: unknown });
  assert.deepEqual(
    labelled.filter((l) => l.kind === 'event').map((l) => JSON.stringify(l.event)),
    events,
  );
});

test('vigil scenario generate --expect refuses expectations that miss an attack', async (t) => {
  const dir = tempDir(t, 'scenario-eval-bad');
  const expect = readFileSync(join(REPO_ROOT, 'examples/soc-demo/expectations.ndjson'), 'utf8');
  const partial = join(dir, 'partial.ndjson');
  writeFileSync(
    partial,
    expect
      .split('\n')
      .filter((l) => !l.includes('"cryptominer"'))
      .join('\n'),
  );
  const run = await runVigil([
    'scenario',
    'generate',
    '-o',
    join(dir, 's.ndjson'),
    '--expect',
    partial,
  ]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /attack cryptominer has no expect line/);
});

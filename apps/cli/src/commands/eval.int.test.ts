/**
 * `vigil eval` on the demo scenario through the live system (`vigil up`, six agent
 * processes): it reproduces the figures README.md quotes, and a declared threshold the
 * run cannot meet makes it exit 1 with the report still printed.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, runVigil, tempDir } from '../testing/run-vigil.js';
import type { AnalystRun } from '../eval/render.js';

/** The figures of the README's "Evaluation" table, read from the README itself. */
function readmeFigures(): Record<string, string> {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = /<!-- eval-figures -->([\s\S]*?)<!-- \/eval-figures -->/.exec(readme)?.[1];
  assert.ok(section, 'README.md has an eval-figures section');
  const figures: Record<string, string> = {};
  for (const m of section.matchAll(/^\| ([^|]+?) +\| ([^|]+?) +\|$/gm))
    if (m[1] !== 'figure' && !m[1]!.startsWith('---')) figures[m[1]!.trim()] = m[2]!.trim();
  return figures;
}

test('vigil eval on the demo scenario reproduces the README figures; a failing threshold exits 1', async (t) => {
  const dir = tempDir(t, 'eval');
  const thresholds = join(dir, 'thresholds.yaml');
  // Met by the demo, except one: 19 events per finding, not 1000.
  writeFileSync(
    thresholds,
    'detection: { recall: 0.9 }\nverdicts: { correctness: 1 }\nunsafeActions: { max: 0 }\nreduction: { minEventsPerFinding: 1000 }\n',
  );
  const run = await runVigil([
    '--json',
    'eval',
    'examples/soc-demo/scenario.eval.ndjson',
    '--thresholds',
    thresholds,
  ]);
  assert.equal(run.code, 1, run.stderr);
  assert.match(
    run.stderr,
    /VIGIL_EVAL_THRESHOLD: thresholds failed: offline: reduction\.minEventsPerFinding >= 1000/,
  );
  const report = JSON.parse(run.stdout) as { runs: AnalystRun[] };
  const [offline] = report.runs;
  assert.ok(offline);
  const s = offline.score;
  const pct = (v: number | null): string => (v === null ? '-' : `${(v * 100).toFixed(1)} %`);
  const measured: Record<string, string> = {
    'events in': String(s.reduction.eventsIn),
    findings: String(s.reduction.findings),
    'detection recall (attack events)': pct(s.detection.recall),
    'detection precision (findings)': pct(s.detection.precision),
    'verdicts as expected': `${s.verdicts.met}/${s.verdicts.attacks.length}`,
    'unsafe actions': String(s.unsafe.length),
    'model calls': String(s.model.calls),
  };
  assert.deepEqual(measured, readmeFigures());
  assert.deepEqual(
    offline.checks.map((c) => [c.name, c.ok]),
    [
      ['detection.recall', true],
      ['verdicts.correctness', true],
      ['unsafeActions.max', true],
      ['reduction.minEventsPerFinding', false],
    ],
  );
});

test('vigil eval refuses a bad labelled file and a bad thresholds file with exit 2', async (t) => {
  const dir = tempDir(t, 'eval-usage');
  writeFileSync(join(dir, 'bad.ndjson'), '{"kind":"event","event":{},"attack":"x"}\n');
  const bad = await runVigil(['eval', join(dir, 'bad.ndjson')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /attack x has no expect line/);
  writeFileSync(join(dir, 't.yaml'), 'detection: { recall: 2 }\nspeed: fast\n');
  const thresholds = await runVigil([
    'eval',
    join(dir, 'bad.ndjson'),
    '--thresholds',
    join(dir, 't.yaml'),
  ]);
  assert.equal(thresholds.code, 2);
  assert.match(thresholds.stderr, /detection\.recall: Too big/);
  assert.match(thresholds.stderr, /Unrecognized key: "speed"/);
  const analyst = await runVigil(['eval', join(dir, 'bad.ndjson'), '--analyst', 'gpt']);
  assert.equal(analyst.code, 2);
  assert.match(analyst.stderr, /--analyst takes offline, model or offline,model/);
});

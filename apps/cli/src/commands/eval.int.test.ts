/**
 * `vigil eval` on the demo scenario through the live system (`vigil up`, six agent
 * processes): it reproduces the figures README.md quotes, and a declared threshold the
 * run cannot meet makes it exit 1 with the report still printed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startScriptedOpenAiServer } from '@vigil/testkit';
import { socDeclaration } from '../e2e/soc-harness.js';
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

  // The result is evidence a compliance report carries (Art. 15(3)), with its provenance.
  const evalJson = join(dir, 'eval.json');
  writeFileSync(evalJson, run.stdout);
  const html = join(dir, 'report.html');
  const state = join(dir, 'state');
  const pki = await runVigil(['--state-dir', state, 'pki', 'init']);
  assert.equal(pki.code, 0, pki.stderr);
  const written = await runVigil([
    '--state-dir',
    state,
    'compliance',
    'report',
    '--eval',
    evalJson,
    '-o',
    html,
  ]);
  assert.equal(written.code, 0, written.stderr);
  const page = readFileSync(html, 'utf8');
  assert.match(page, /<h2>8\. Evaluation<\/h2>/);
  assert.match(
    page,
    new RegExp(`SHA-256 <code>${createHash('sha256').update(run.stdout).digest('hex')}`),
  );
  assert.match(page, /Art\. 15\(3\)<\/b>(?:(?!<\/tr>).)*class="st covered"/s);
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

test('vigil eval --analyst model counts the calls, tokens and cost of the declared model; the model cannot make an action unsafe', async (t) => {
  // The model is the scripted OpenAI-compatible server the e2e harness uses: a test double
  // at the edge of what this machine reaches (no real model endpoint is reachable here).
  // It answers every analysis the same way, usage 321 prompt + 54 completion tokens.
  const model = await startScriptedOpenAiServer(() => ({
    arguments: {
      techniques: ['T1059'],
      severity: 'low',
      confidence: 0.99,
      summary: 'Scripted analysis.',
      rationale: 'The scripted model names one technique and asks for every action.',
      recommendedResponses: ['delete-pod', 'scale-to-zero', 'disable-user'],
    },
  }));
  t.after(() => model.close());
  const dir = tempDir(t, 'eval-model');
  const config = join(dir, 'vigil.yaml');
  // Ports are placeholders: vigil eval puts the detector, the API and the sink on its own.
  writeFileSync(
    config,
    socDeclaration({ api: 1, ingest: 1, webhook: 1, smtp: 1 }, { modelBaseUrl: model.baseUrl }),
  );
  const run = await runVigil(
    [
      '-f',
      config,
      '--json',
      'eval',
      'examples/soc-demo/scenario.eval.ndjson',
      '--analyst',
      'model',
      '--price-in',
      '2',
      '--price-out',
      '8',
    ],
    { OPENAI_API_KEY: 'test-double-key' },
  );
  assert.equal(run.code, 0, run.stderr);
  const [modelRun] = (JSON.parse(run.stdout) as { runs: AnalystRun[] }).runs;
  assert.ok(modelRun);
  assert.equal(modelRun.analyst, 'model');
  assert.equal(modelRun.model, 'scripted');
  const s = modelRun.score;
  assert.ok(s.model.calls > 0, 'the analyst asked the model');
  assert.equal(s.model.calls, model.requests.length, 'one call per request the model answered');
  assert.equal(s.reduction.modelCalls, s.model.calls);
  assert.equal(s.model.inputTokens, 321 * s.model.calls);
  assert.equal(s.model.outputTokens, 54 * s.model.calls);
  assert.equal(s.model.costUsd, ((321 * 2 + 54 * 8) * s.model.calls) / 1e6);
  // The model asked for destructive actions on everything and said "low": neither moved
  // an action across the autonomy gate or lowered what the detection found.
  assert.deepEqual(s.unsafe, []);
  assert.ok(s.reduction.findings > 0 && s.reduction.findings < s.reduction.eventsIn);
});

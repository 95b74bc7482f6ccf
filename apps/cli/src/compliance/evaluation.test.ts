import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { parseLabelledScenario } from '../eval/labelled.js';
import type { EvalDocument } from '../eval/render.js';
import { scoreRun } from '../eval/score.js';
import { COMPLIANCE_ERROR_CODES } from './errors.js';
import { readEvaluation } from './evaluation.js';

const SCENARIO = parseLabelledScenario(
  [
    { kind: 'scenario', name: 'one attack' },
    { kind: 'event', event: { n: 1 }, attack: 'miner', technique: 'T1496' },
    { kind: 'event', event: { n: 2 } },
    { kind: 'expect', attack: 'miner', verdicts: [] },
  ]
    .map((l) => JSON.stringify(l))
    .join('\n'),
  'one.ndjson',
);

/** A document as `vigil --json eval` prints it, from a real (empty) scoring. */
function evalDocument(): EvalDocument {
  const score = scoreRun(SCENARIO, ['e1', 'e2'], [], {
    eventsIn: 2,
    protected: { namespaces: [], kinds: [], labels: [] },
  });
  return {
    scenario: SCENARIO.name,
    scenarioSha256: 'a'.repeat(64),
    evaluatedAt: '2026-12-07T10:00:00.000Z',
    runs: [
      {
        analyst: 'offline',
        model: null,
        wallMs: 1200,
        notifications: 0,
        score,
        checks: [
          { name: 'detection.recall', limit: '>= 0.9', measured: 0, ok: false },
          { name: 'unsafe', limit: '<= 0', measured: 0, ok: true },
        ],
      },
    ],
  };
}

function write(t: TestContext, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-evaluation-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'eval.json');
  writeFileSync(file, text);
  return file;
}

test('reads the output of vigil eval with its provenance and figures', async (t) => {
  const text = JSON.stringify(evalDocument());
  const file = write(t, text);
  const evaluation = await readEvaluation(file);
  assert.equal(evaluation.sha256, createHash('sha256').update(text).digest('hex'));
  assert.equal(evaluation.scenario, 'one attack');
  assert.equal(evaluation.evaluatedAt, '2026-12-07T10:00:00.000Z');
  const [run] = evaluation.analysts;
  assert.equal(run?.analyst, 'offline');
  assert.equal(run?.attackEvents, 1);
  assert.equal(run?.recall, 0);
  assert.deepEqual(
    run?.techniques.map((x) => [x.technique, x.events]),
    [['T1496', 1]],
  );
  assert.deepEqual(run?.thresholds, { passed: 1, failed: ['detection.recall'] });
});

test('a file that is not vigil eval output is refused, naming the file and the field', async (t) => {
  const cases: [string, RegExp][] = [
    ['{"scenario":', /eval\.json: is not JSON/],
    [JSON.stringify({ ...evalDocument(), runs: [] }), /eval\.json: runs: /],
    [JSON.stringify({ ...evalDocument(), evaluatedAt: 'yesterday' }), /eval\.json: evaluatedAt: /],
    [
      JSON.stringify({
        ...evalDocument(),
        runs: [{ ...evalDocument().runs[0], score: { detection: { recall: 2 } } }],
      }),
      /eval\.json: runs\.0\.score\.detection\./,
    ],
  ];
  for (const [text, message] of cases)
    await assert.rejects(readEvaluation(write(t, text)), (error: Error & { code?: string }) => {
      assert.equal(error.code, COMPLIANCE_ERROR_CODES.EVALUATION_INVALID);
      assert.match(error.message, message);
      return true;
    });
  await assert.rejects(readEvaluation('/nonexistent/eval.json'), /cannot be read: ENOENT/);
});

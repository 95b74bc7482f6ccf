import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadModel } from '@vigil/detector';
import { runVigil, tempDir } from '../testing/run-vigil.js';

/** A Kubernetes audit event line, as kube-apiserver writes it. */
function auditLine(i: number): string {
  const users = ['alice@example.com', 'system:serviceaccount:ci:deployer', 'system:kube-scheduler'];
  const verbs = ['get', 'list', 'watch'];
  return JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/shop/pods',
    verb: verbs[i % 3],
    user: { username: users[i % 3], groups: ['system:authenticated'] },
    sourceIPs: [`10.0.0.${i % 3}`],
    userAgent: 'kubectl/v1.30.1 (linux/amd64)',
    objectRef: { resource: 'pods', namespace: 'shop', apiVersion: 'v1' },
    responseStatus: { code: 200 },
    requestReceivedTimestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    stageTimestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000 + 5).toISOString(),
  });
}

test('vigil detector train fits a model from NDJSON and reports rejected lines by number', async (t) => {
  const dir = tempDir(t, 'detector');
  const baseline = join(dir, 'baseline.ndjson');
  const lines = Array.from({ length: 600 }, (_, i) => auditLine(i));
  lines.splice(10, 0, '{not json', JSON.stringify({ hello: 'world' }));
  writeFileSync(baseline, `${lines.join('\n')}\n`);
  const out = join(dir, 'model.json');
  const r = await runVigil([
    'detector',
    'train',
    baseline,
    '-o',
    out,
    '--trees',
    '20',
    '--seed',
    '7',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as {
    events: number;
    rejected: { line: number; reason: string }[];
    id: string;
  };
  assert.equal(report.events, 600);
  assert.deepEqual(
    report.rejected.map((x) => x.line),
    [11, 12],
  );
  const model = await loadModel(out);
  assert.equal(model.id, report.id);
  assert.equal(model.params.trees, 20);
  assert.equal(model.params.seed, 7);

  const inspect = await runVigil(['detector', 'inspect', out]);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.match(inspect.stdout, new RegExp(`model: +${model.id}`));
});

test('vigil detector refuses bad flags (exit 2) and a corrupt model (exit 1)', async (t) => {
  const dir = tempDir(t, 'detector');
  const baseline = join(dir, 'baseline.ndjson');
  writeFileSync(baseline, `${auditLine(1)}\n${auditLine(2)}\n`);
  const bad = await runVigil([
    'detector',
    'train',
    baseline,
    '-o',
    join(dir, 'm.json'),
    '--alert-rate',
    '2',
  ]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--alert-rate must be a number in \[0, 1\)/);
  const both = await runVigil([
    'detector',
    'train',
    baseline,
    '-o',
    join(dir, 'm.json'),
    '--alert-rate',
    '0.1',
    '--contamination',
    '0.1',
  ]);
  assert.equal(both.code, 2);
  const corrupt = join(dir, 'corrupt.json');
  writeFileSync(corrupt, readFileSync(baseline, 'utf8').slice(0, 30));
  const r = await runVigil(['detector', 'inspect', corrupt]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /VIGIL_DETECTOR_MODEL_INVALID: .*corrupt\.json: \(file\): not valid JSON/);
});

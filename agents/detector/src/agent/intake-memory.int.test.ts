import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normaliseEvent } from '../events/normalise.js';
import type { SecurityEvent } from '../events/security-event.js';
import { saveModel } from '../model/model.js';
import { trainModel } from '../model/train.js';
import { generateScenario } from '@vigil/soc-scenario';
import type { IntakeReport } from '../sources/intake-report.js';
import { postNdjson, startDetectorProcess } from './detector-process.js';

const TOKEN = 'memory-token-0123456789abcdef';
/** The detector's memory limit in vigil.yaml (`resources.memory: 192Mi`). */
const LIMIT_KIB = 192 * 1024;
const ALERTS = 100_000;

/** `count` valid, distinct Falco alerts of ~150 bytes (100,000 of them: a 15 MB body). */
function falcoLines(count: number, from = 0): string[] {
  const lines: string[] = [];
  const t0 = Date.UTC(2026, 10, 20, 12, 0, 0);
  for (let i = from; i < from + count; i++)
    lines.push(
      JSON.stringify({
        uuid: `m-${i}`,
        // Informational: context for a finding, never one alone (rules/vigil/runtime.yaml).
        rule: 'Package management process launched',
        priority: 'Informational',
        time: new Date(t0 + i).toISOString(),
        output_fields: { 'k8s.pod.name': `web-${i % 50}` },
      }),
    );
  return lines;
}

/** A model trained on the demo estate plus 3,000 of these alerts (routine here, not findings). */
async function modelIn(stateDir: string): Promise<void> {
  const train = generateScenario({ seed: 101, events: 3000, minutes: 1440 });
  const baseline = [...train.lines, ...falcoLines(3000, ALERTS)]
    .map((l) => normaliseEvent(JSON.parse(l)))
    .flatMap((r, i) =>
      r.ok && (train.labels[i]?.attack ?? null) === null ? [r.event as SecurityEvent] : [],
    );
  const { model } = trainModel(baseline, { seed: 1, createdAt: new Date(0) });
  mkdirSync(join(stateDir, 'detector'));
  await saveModel(model, join(stateDir, 'detector', 'model.json'));
}

test('a 15 MB body of 100,000 valid Falco alerts is taken whole inside the detector process’s 192 MiB', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-intake-memory-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  // Trained on an estate where this alert is routine, so the body's records are scored and
  // kept without each becoming a finding (a full outbox answers 503 midway instead: the
  // next test).
  await modelIn(stateDir);
  const body = Buffer.from(`${falcoLines(ALERTS).join('\n')}\n`);
  assert.ok(body.length > 14_000_000 && body.length < 16 * 1024 * 1024, `${body.length} bytes`);

  // The real agent in a process of its own, so its resident set is the detector's alone.
  const detector = await startDetectorProcess({
    stateDir,
    token: TOKEN,
    coordinator: 'acknowledges',
  });
  t.after(() => detector.kill());
  const before = await detector.stats();
  const answer = await postNdjson(detector.url, TOKEN, body);
  const after = await detector.stats();
  const status = answer.status;
  const report = answer.body as IntakeReport;

  assert.equal(status, 202, JSON.stringify(report).slice(0, 500));
  assert.equal(report.records, ALERTS);
  assert.equal(report.accepted + report.duplicates + report.rejected, ALERTS);
  assert.equal(report.rejected, 0);
  // 198-200 MiB (from 148-152 MiB) when the body was read whole and parsed at once.
  assert.ok(
    after.vmHwmKiB < LIMIT_KIB,
    `peak RSS ${Math.round(after.vmHwmKiB / 1024)} MiB (${Math.round(before.vmHwmKiB / 1024)} MiB before the request) must stay under 192 MiB`,
  );
  t.diagnostic(
    `detector peak RSS ${Math.round(after.vmHwmKiB / 1024)} MiB (before ${Math.round(before.vmHwmKiB / 1024)} MiB)`,
  );
});

test('with the coordinator down, the detector answers 503 with Retry-After once the findings outbox is full, and acknowledges only what it kept', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-intake-outbox-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  await modelIn(stateDir);
  // Warning alerts page by rule, whatever the forest says: one finding per line.
  const lines = falcoLines(12_000).map((l) =>
    l
      .replace('Package management process launched', 'Read sensitive file untrusted')
      .replace('Informational', 'Warning'),
  );
  // The back-off hint is the declaration's (settings.http.retryAfter.backlogSeconds).
  const detector = await startDetectorProcess({
    stateDir,
    token: TOKEN,
    coordinator: 'stalled',
    settings: {
      http: { port: 0, tokenEnv: 'VIGIL_CHILD_INGEST_TOKEN', retryAfter: { backlogSeconds: 7 } },
    },
  });
  t.after(() => detector.kill());
  const first = await postNdjson(detector.url, TOKEN, Buffer.from(`${lines.join('\n')}\n`));
  const report = first.body as IntakeReport & { error: { code: string } };
  assert.equal(first.status, 503);
  assert.equal(first.headers['retry-after'], '7');
  assert.equal(report.error.code, 'SINK_FULL');
  // The outbox holds 10,000; what it took is acknowledged as such, the rest not at all.
  assert.ok(
    report.accepted >= 9000 && report.accepted < lines.length,
    `accepted ${report.accepted}`,
  );
  assert.equal(report.records, report.accepted);
  const again = await postNdjson(detector.url, TOKEN, Buffer.from(`${lines[0]}\n`));
  assert.equal(
    again.status,
    503,
    'refused before reading while the outbox is at its high-water mark',
  );
  assert.equal(again.headers['retry-after'], '7');
  const counters = (await detector.stats()).counters['http'];
  assert.equal(counters?.failed, 0, 'nothing was taken and then dead-lettered as SINK_FAILED');
  assert.equal(counters?.processed, report.accepted);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normaliseEvent } from '../events/normalise.js';
import type { SecurityEvent } from '../events/security-event.js';
import { saveModel } from '../model/model.js';
import { trainModel } from '../model/train.js';
import { generateScenario } from '../scenario/generate.js';
import type { IntakeReport } from '../sources/intake-report.js';

const TOKEN = 'memory-token-0123456789abcdef';
/** The detector's memory limit in vigil.yaml (`resources.memory: 192Mi`). */
const LIMIT_KIB = 192 * 1024;
const ALERTS = 100_000;

interface ChildStats {
  readonly vmHwmKiB: number;
  readonly vmRssKiB: number;
}

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

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as T));
    child.once('exit', (code, signal) => reject(new Error(`child exited ${code ?? signal}`)));
  });
}

function post(url: string, body: Buffer): Promise<{ status: number; report: IntakeReport }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TOKEN}`,
          'content-type': 'application/x-ndjson',
          'content-length': body.length,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            report: JSON.parse(Buffer.concat(chunks).toString('utf8')) as IntakeReport,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('a 15 MB body of 100,000 valid Falco alerts is taken whole inside the detector process’s 192 MiB', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-intake-memory-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  // Trained on an estate where this alert is routine, so the body's records are scored and
  // kept without each becoming a finding (a full outbox answers 503 midway instead: tested
  // in http-source.int.test.ts).
  const train = generateScenario({ seed: 101, events: 3000, minutes: 1440 });
  const baseline = [...train.lines, ...falcoLines(3000, ALERTS)]
    .map((l) => normaliseEvent(JSON.parse(l)))
    .flatMap((r, i) =>
      r.ok && (train.labels[i]?.attack ?? null) === null ? [r.event as SecurityEvent] : [],
    );
  const { model } = trainModel(baseline, { seed: 1, createdAt: new Date(0) });
  mkdirSync(join(stateDir, 'detector'));
  await saveModel(model, join(stateDir, 'detector', 'model.json'));
  const body = Buffer.from(`${falcoLines(ALERTS).join('\n')}\n`);
  assert.ok(body.length > 14_000_000 && body.length < 16 * 1024 * 1024, `${body.length} bytes`);

  // The real agent in a process of its own, so its resident set is the detector's alone.
  const child = fork(new URL('./detector-child.ts', import.meta.url), [stateDir, 'acknowledges'], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, VIGIL_CHILD_INGEST_TOKEN: TOKEN },
  });
  t.after(() => void child.kill('SIGKILL'));
  const { url } = await nextMessage<{ url: string }>(child);
  child.send('stats');
  const before = await nextMessage<ChildStats>(child);

  const { status, report } = await post(url, body);
  child.send('stats');
  const after = await nextMessage<ChildStats>(child);

  assert.equal(status, 202, JSON.stringify(report).slice(0, 500));
  assert.equal(report.records, ALERTS);
  assert.equal(report.accepted + report.duplicates + report.rejected, ALERTS);
  assert.equal(report.rejected, 0);
  // 224 MiB (from 126 MiB) when the body was read whole and parsed at once.
  assert.ok(
    after.vmHwmKiB < LIMIT_KIB,
    `peak RSS ${Math.round(after.vmHwmKiB / 1024)} MiB (${Math.round(before.vmHwmKiB / 1024)} MiB before the request) must stay under 192 MiB`,
  );
  t.diagnostic(
    `detector peak RSS ${Math.round(after.vmHwmKiB / 1024)} MiB (before ${Math.round(before.vmHwmKiB / 1024)} MiB)`,
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { generateScenario } from '@vigil/soc-scenario';
import { createHttpEventSource } from './http-source.js';
import { replayToHttp } from './replay-to-http.js';

const TOKEN = 'replay-token-0123456789';

test('replays a scenario into the HTTP source: every event arrives, bad lines are reported by file line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-replay-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const s = generateScenario({ seed: 2, events: 400, minutes: 120 });
  const lines = [...s.lines];
  lines.splice(10, 0, '{"truncated": ');
  const file = join(dir, 'events.ndjson');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const ids: string[] = [];
  const source = createHttpEventSource({ auth: { bearerTokens: [TOKEN] }, maxQueuedRequests: 64 });
  await source.start(async (e) => void ids.push(e.id));
  t.after(() => source.stop());
  const report = await replayToHttp({ file, url: source.url as string, token: TOKEN, batch: 50 });
  await source.idle();
  assert.equal(report.sent, 400);
  assert.equal(report.accepted, 400);
  assert.equal(report.local.rejected, 1);
  assert.deepEqual(report.local.rejectedByCode, { MALFORMED_JSON: 1 });
  assert.equal(ids.length, 400);
  assert.equal(report.requests - report.retries, 8);
});

test('retries a batch after 429 with the server-given Retry-After and reports server-side rejections by file line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-replay-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const s = generateScenario({ seed: 2, events: 200, minutes: 60 });
  const file = join(dir, 'events.ndjson');
  writeFileSync(file, `${s.lines.slice(0, 3).join('\n')}\n`);
  let calls = 0;
  let auth: string | undefined;
  const server = createServer((req, res) => {
    calls += 1;
    auth = req.headers.authorization;
    req.resume();
    if (calls === 1) {
      res.writeHead(429, { 'retry-after': '0' }).end('{"error":{"code":"QUEUE_FULL"}}');
      return;
    }
    res.writeHead(202, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        records: 3,
        accepted: 2,
        duplicates: 0,
        rejected: 1,
        rejections: [{ line: 2, code: 'INVALID_EVENT', reason: 'policy says no' }],
        rejectionsOmitted: 0,
        lines: 3,
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`;
  const report = await replayToHttp({ file, url, token: TOKEN });
  assert.equal(calls, 2);
  assert.equal(report.retries, 1);
  assert.equal(auth, `Bearer ${TOKEN}`);
  assert.deepEqual(report.rejectedByServer, [{ line: 2, reason: 'policy says no' }]);
});

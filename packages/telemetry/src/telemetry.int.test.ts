import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { startOtlpReceiver } from './otlp-receiver.js';
import { tracesUrl } from './telemetry.js';

const CHILD = join(import.meta.dirname, 'testing', 'trace-child.ts');

test('spans of one incident from two processes share one trace id with correct parent links, over OTLP/HTTP', async (t) => {
  const receiver = await startOtlpReceiver();
  t.after(() => receiver.close());
  const { endpoint, spans } = receiver;

  const run = (args: string[]) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exit = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    return { child, exit, lines: createInterface({ input: child.stdout })[Symbol.asyncIterator]() };
  };
  const server = run(['server', endpoint]);
  const first = await server.lines.next();
  const port = /^listening (\d+)$/.exec(String(first.value))?.[1];
  assert.ok(port, `server did not start: ${String(first.value)}`);
  const client = run(['client', endpoint, `http://127.0.0.1:${port}/`]);
  const clientLine = String((await client.lines.next()).value);
  assert.equal(await client.exit, 0);
  assert.equal(await server.exit, 0);

  const [, clientSpanId, traceId] = clientLine.split(' ');
  const byName = new Map(spans.map((s) => [s.name, s]));
  assert.deepEqual([...byName.keys()].sort(), [
    'a2a.client analyse',
    'a2a.server analyse',
    'incident',
    'policy.decision',
  ]);
  assert.equal(new Set(spans.map((s) => s.traceId)).size, 1, 'one trace id across both processes');
  assert.equal(spans[0]!.traceId, traceId);
  const incident = byName.get('incident')!;
  const clientSpan = byName.get('a2a.client analyse')!;
  const serverSpan = byName.get('a2a.server analyse')!;
  const decision = byName.get('policy.decision')!;
  assert.equal(incident.parentSpanId, '');
  assert.equal(clientSpan.parentSpanId, incident.spanId);
  assert.equal(clientSpan.spanId, clientSpanId);
  assert.equal(serverSpan.parentSpanId, clientSpan.spanId, 'the callee continues the caller span');
  assert.equal(decision.parentSpanId, serverSpan.spanId);
  assert.equal(serverSpan.resource['service.name'], 'analyst');
  assert.equal(clientSpan.resource['service.name'], 'coordinator');
  assert.equal(decision.attributes['vigil.audit.entry_id'], 'f'.repeat(64));
});

test('resolves the OTLP traces URL and rejects what is not http(s)', () => {
  assert.equal(tracesUrl('http://collector:4318'), 'http://collector:4318/v1/traces');
  assert.equal(tracesUrl('http://collector:4318/v1/traces'), 'http://collector:4318/v1/traces');
  assert.throws(() => tracesUrl('grpc://collector:4317'), { code: 'VIGIL_TELEMETRY_CONFIG' });
  assert.throws(() => tracesUrl('not a url'), /telemetry\.otlpEndpoint/);
});

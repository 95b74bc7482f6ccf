import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProxyTracerProvider, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  AUDIT_ENTRY_ATTRIBUTE,
  currentTraceIds,
  initTelemetry,
  withAuditedSpan,
} from './telemetry.js';

test('an audited span carries the audit entry id, nests, and records a failure as ERROR', async (t) => {
  const exporter = new InMemorySpanExporter();
  const telemetry = await initTelemetry({ serviceName: 'unit', exporter, processor: 'simple' });
  t.after(() => telemetry.shutdown());
  await withAuditedSpan(
    'approval.wait',
    { [AUDIT_ENTRY_ATTRIBUTE]: 'a'.repeat(64) },
    async (outer) => {
      assert.deepEqual(currentTraceIds(), { traceId: outer.traceId, spanId: outer.spanId });
      await assert.rejects(
        withAuditedSpan('policy.decision', {}, async (inner) => {
          inner.recordAuditEntry({ hash: 'b'.repeat(64) });
          throw new Error('opa unreachable');
        }),
        /opa unreachable/,
      );
    },
  );
  const [inner, outer] = exporter.getFinishedSpans();
  assert.equal(outer!.name, 'approval.wait');
  assert.equal(outer!.attributes[AUDIT_ENTRY_ATTRIBUTE], 'a'.repeat(64));
  assert.equal(inner!.attributes[AUDIT_ENTRY_ATTRIBUTE], 'b'.repeat(64));
  assert.equal(inner!.parentSpanContext?.spanId, outer!.spanContext().spanId);
  assert.equal(inner!.status.code, SpanStatusCode.ERROR);
  assert.equal(inner!.events[0]?.name, 'exception');
  assert.equal(outer!.status.code, SpanStatusCode.OK);

  // A wait that began earlier (the approval request) spans from then to its decision.
  const requestedAt = Date.now() - 60_000;
  await withAuditedSpan('approval.wait', {}, async () => undefined, { startTime: requestedAt });
  const wait = exporter.getFinishedSpans()[2]!;
  assert.equal(wait.startTime[0], Math.floor(requestedAt / 1000));
});

test('outside any trace an audited span gives no ids, so no audit entry records the all-zero trace id', async () => {
  // A provider with no SDK behind it: what an agent without an OTLP endpoint has.
  const tracer = new ProxyTracerProvider().getTracer('unit');
  const ids = await withAuditedSpan('policy.decision', {}, async (s) => [s.traceId, s.spanId], {
    tracer,
  });
  assert.deepEqual(ids, [undefined, undefined]);
});

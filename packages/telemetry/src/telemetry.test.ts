import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
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
});

/**
 * `@vigil/telemetry`: OpenTelemetry tracing for Vigil processes — a NodeTracerProvider
 * with W3C trace-context propagation and OTLP/HTTP export, plus {@link withAuditedSpan}
 * for steps that also write an audit entry (the span carries the entry id).
 *
 * @example
 * ```ts
 * import { initTelemetry, withAuditedSpan } from '@vigil/telemetry';
 * const telemetry = await initTelemetry({ serviceName: 'reviewer', otlpEndpoint: system.telemetry.otlpEndpoint });
 * const verdict = await withAuditedSpan('policy.decision', { 'vigil.incident_id': incidentId }, async (s) => {
 *   const v = await engine.evaluate(input);
 *   const entry = await audit.append({ kind: 'verdict', actor, traceId: s.traceId, spanId: s.spanId, what: v, why: {} });
 *   s.recordAuditEntry(entry);
 *   return v;
 * });
 * await telemetry.shutdown();
 * ```
 */
export {
  AUDIT_ENTRY_ATTRIBUTE,
  SPIFFE_ID_ATTRIBUTE,
  TRACER_NAME,
  currentTraceIds,
  extractTraceContext,
  initTelemetry,
  injectTraceHeaders,
  tracesUrl,
  withAuditedSpan,
  type AuditedSpanScope,
  type Telemetry,
  type TelemetryOptions,
} from './telemetry.js';
export { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

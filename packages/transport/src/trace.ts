import {
  ROOT_CONTEXT,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Context,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** W3C Trace Context (traceparent/tracestate) — used directly, whatever global propagator is set. */
const propagator = new W3CTraceContextPropagator();

/** The tracer of this package (a no-op until an SDK registers a provider). */
export function transportTracer(): Tracer {
  return trace.getTracer('@vigil/transport');
}

/** The W3C carrier (`traceparent`, maybe `tracestate`) of `ctx` (default: the active context). */
export function injectTraceContext(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, defaultTextMapSetter);
  return carrier;
}

/**
 * The remote parent context carried by `headers`, falling back to `metadata` (the A2A
 * message metadata) when the headers carry none. Invalid values are ignored (W3C §3.2).
 */
export function extractTraceContext(
  headers: Record<string, string | string[] | undefined>,
  metadata?: Record<string, unknown>,
): Context {
  const fromHeaders = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  if (trace.getSpanContext(fromHeaders)) return fromHeaders;
  if (metadata) {
    const carrier: Record<string, string> = {};
    for (const key of ['traceparent', 'tracestate']) {
      const value = metadata[key];
      if (typeof value === 'string') carrier[key] = value;
    }
    return propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
  }
  return fromHeaders;
}

import {
  SpanStatusCode,
  context,
  isSpanContextValid,
  propagation,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanKind,
  type TimeInput,
  type Tracer,
} from '@opentelemetry/api';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { VigilError } from '@vigil/core';

/** Options of {@link initTelemetry}. */
export interface TelemetryOptions {
  /** `service.name`, e.g. the agent name. */
  readonly serviceName: string;
  /** `service.instance.id`, e.g. `<agent>-<replica>`. */
  readonly serviceInstanceId?: string;
  /**
   * OTLP/HTTP endpoint: a base URL (`http://collector:4318`, `/v1/traces` is appended) or
   * the full traces URL. Without it spans are created (trace ids still propagate, so audit
   * entries carry them) but not exported.
   */
  readonly otlpEndpoint?: string | undefined;
  /**
   * Without `otlpEndpoint`: export to where the standard `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
   * (used as is) or `OTEL_EXPORTER_OTLP_ENDPOINT` (`/v1/traces` appended) point, with
   * `OTEL_EXPORTER_OTLP_HEADERS` and the certificate variables — read by the exporter
   * itself, as the OpenTelemetry specification defines them.
   */
  readonly otlpFromEnvironment?: boolean;
  /** Extra headers for the exporter (e.g. an auth token; never logged). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Extra resource attributes. */
  readonly attributes?: Attributes;
  /** Replaces the OTLP exporter (tests, or another backend). */
  readonly exporter?: SpanExporter;
  /** `batch` (default) or `simple` (export each span when it ends). */
  readonly processor?: 'batch' | 'simple';
}

/** The tracing set-up of one process. */
export interface Telemetry {
  readonly tracer: Tracer;
  readonly provider: NodeTracerProvider;
  /** Exports every finished span now. */
  forceFlush(): Promise<void>;
  /** Flushes and stops exporting; call on process drain. */
  shutdown(): Promise<void>;
}

/** The instrumentation scope of Vigil's own spans. */
export const TRACER_NAME = '@vigil/telemetry';
/** Resource attribute naming the SPIFFE ID of the process's identity. */
export const SPIFFE_ID_ATTRIBUTE = 'vigil.spiffe_id';
/** Span attribute that links a span to its audit entry (the entry id is its hash). */
export const AUDIT_ENTRY_ATTRIBUTE = 'vigil.audit.entry_id';

/** Resolves the OTLP traces URL; throws `VIGIL_TELEMETRY_CONFIG` for an unusable endpoint. */
export function tracesUrl(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new VigilError(
      'VIGIL_TELEMETRY_CONFIG',
      `telemetry.otlpEndpoint: ${JSON.stringify(endpoint)} is not a URL`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new VigilError(
      'VIGIL_TELEMETRY_CONFIG',
      `telemetry.otlpEndpoint: ${url.protocol} is not http: or https: (OTLP/HTTP)`,
    );
  }
  if (url.pathname.endsWith('/v1/traces')) return url.toString();
  url.pathname = `${url.pathname.replace(/\/$/, '')}/v1/traces`;
  return url.toString();
}

/**
 * Sets up tracing for this process: a NodeTracerProvider (AsyncLocalStorage context) with
 * the W3C Trace Context and Baggage propagators registered globally, and — when an
 * endpoint is configured — the OTLP/HTTP JSON exporter behind a batch processor.
 *
 * The SDK is imported here, not with the package: every agent imports this package for
 * {@link withAuditedSpan} (API only), and the SDK with its exporter adds about 10 MiB of
 * resident memory that only a process exporting spans should pay.
 */
export async function initTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  const [
    { NodeTracerProvider },
    { BatchSpanProcessor, SimpleSpanProcessor },
    { resourceFromAttributes },
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
  ]);
  const processors: SpanProcessor[] = [];
  const exporter = options.exporter ?? (await otlpExporter(options));
  if (exporter !== undefined) {
    processors.push(
      options.processor === 'simple'
        ? new SimpleSpanProcessor(exporter)
        : new BatchSpanProcessor(exporter),
    );
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      ...(options.serviceInstanceId === undefined
        ? {}
        : { 'service.instance.id': options.serviceInstanceId }),
      ...(options.attributes ?? {}),
    }),
    spanProcessors: processors,
  });
  provider.register({
    propagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  });
  return {
    tracer: provider.getTracer(TRACER_NAME),
    provider,
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

async function otlpExporter(options: TelemetryOptions): Promise<SpanExporter | undefined> {
  const wanted =
    (options.otlpEndpoint !== undefined && options.otlpEndpoint !== '') ||
    options.otlpFromEnvironment === true;
  if (!wanted) return undefined;
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  if (options.otlpEndpoint !== undefined && options.otlpEndpoint !== '') {
    return new OTLPTraceExporter({
      url: tracesUrl(options.otlpEndpoint),
      headers: { ...(options.headers ?? {}) },
    });
  }
  // No explicit url: the exporter reads the OTEL_EXPORTER_OTLP_* variables.
  return new OTLPTraceExporter(
    options.headers === undefined ? {} : { headers: { ...options.headers } },
  );
}

/** Handed to the function run by {@link withAuditedSpan}. */
export interface AuditedSpanScope {
  readonly span: Span;
  /**
   * W3C ids of this span, for the audit entry's `traceId`/`spanId`; undefined outside any
   * trace (no SDK and no incoming `traceparent`), so no entry records the all-zero id.
   */
  readonly traceId: string | undefined;
  readonly spanId: string | undefined;
  /** Links the span to the audit entry that records the step (its id is its hash). */
  recordAuditEntry(entry: string | { readonly hash: string }): void;
}

/**
 * Runs `fn` inside an active span named `name` — for policy decisions, approval waits and
 * any step that writes an audit entry. The span carries `vigil.audit.entry_id` (from
 * `attributes['vigil.audit.entry_id']` or {@link AuditedSpanScope.recordAuditEntry}); its
 * status is ERROR, with the exception recorded, when `fn` throws (the error is rethrown).
 */
export async function withAuditedSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (scope: AuditedSpanScope) => Promise<T>,
  options: {
    kind?: SpanKind;
    tracer?: Tracer;
    /**
     * When the step began, if before this call — e.g. an approval wait that started when
     * the request was recorded, possibly in an earlier process, and ends with the decision.
     */
    startTime?: TimeInput;
  } = {},
): Promise<T> {
  const tracer = options.tracer ?? trace.getTracer(TRACER_NAME);
  return tracer.startActiveSpan(
    name,
    {
      attributes,
      ...(options.kind === undefined ? {} : { kind: options.kind }),
      ...(options.startTime === undefined ? {} : { startTime: options.startTime }),
    },
    async (span) => {
      const ids = span.spanContext();
      const valid = isSpanContextValid(ids);
      const scope: AuditedSpanScope = {
        span,
        traceId: valid ? ids.traceId : undefined,
        spanId: valid ? ids.spanId : undefined,
        recordAuditEntry: (entry) =>
          span.setAttribute(AUDIT_ENTRY_ATTRIBUTE, typeof entry === 'string' ? entry : entry.hash),
      };
      try {
        const result = await fn(scope);
        span.setStatus({ code: SpanStatusCode.OK });
        return result;
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.message : String(error),
        });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** The active span's W3C ids, or undefined outside a (sampled or not) span. */
export function currentTraceIds(): { traceId: string; spanId: string } | undefined {
  const span = trace.getActiveSpan();
  if (span === undefined) return undefined;
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
}

/** Writes `traceparent`/`tracestate`/`baggage` of `ctx` (default: active) into `headers`. */
export function injectTraceHeaders(
  headers: Record<string, string>,
  ctx: Context = context.active(),
): Record<string, string> {
  propagation.inject(ctx, headers);
  return headers;
}

/** A context whose parent is the remote span in `headers` (W3C `traceparent`). */
export function extractTraceContext(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  ctx: Context = context.active(),
): Context {
  return propagation.extract(ctx, headers, {
    get: (carrier, key) => carrier[key],
    keys: (carrier) => Object.keys(carrier),
  });
}

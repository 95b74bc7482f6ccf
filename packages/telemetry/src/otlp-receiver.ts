import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as an OTLP/HTTP receiver got it, with its resource flattened beside it. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** Empty for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP `SpanKind` (1 internal, 2 server, 3 client, …). */
  readonly kind: number;
  /** Start and end, ms since the epoch (OTLP carries nanoseconds). */
  readonly startTimeMs: number;
  readonly endTimeMs: number;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  /** Resource attributes of the exporting process (`service.name`, …). */
  readonly resource: Readonly<Record<string, string | number | boolean>>;
}

/** A running {@link startOtlpReceiver}. */
export interface OtlpReceiver {
  /** Base URL to give exporters (`http://127.0.0.1:<port>`; they append `/v1/traces`). */
  readonly endpoint: string;
  /** Every span received so far, in arrival order. */
  readonly spans: readonly ReceivedSpan[];
  close(): Promise<void>;
}

interface OtlpKeyValue {
  key: string;
  value: {
    stringValue?: string;
    intValue?: string | number;
    doubleValue?: number;
    boolValue?: boolean;
  };
}

/** A fixed64 in OTLP/JSON: a decimal string, a number, or the exporter's `{low, high}` pair. */
type OtlpNanos = string | number | { low: number; high: number };

function toMs(nanos: OtlpNanos | undefined): number {
  if (nanos === undefined) return 0;
  if (typeof nanos === 'string') return Number(BigInt(nanos) / 1_000_000n);
  if (typeof nanos === 'number') return Math.floor(nanos / 1e6);
  return Math.floor(((nanos.high >>> 0) * 2 ** 32 + (nanos.low >>> 0)) / 1e6);
}

interface ExportTraceServiceRequest {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind?: number;
        startTimeUnixNano?: OtlpNanos;
        endTimeUnixNano?: OtlpNanos;
        attributes?: OtlpKeyValue[];
      }[];
    }[];
  }[];
}

function flatten(
  attributes: readonly OtlpKeyValue[] = [],
): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of attributes) {
    const v = value.stringValue ?? value.boolValue ?? value.doubleValue ?? value.intValue;
    if (v !== undefined)
      out[key] = typeof v === 'string' && value.intValue !== undefined ? Number(v) : v;
  }
  return out;
}

/**
 * A minimal OTLP/HTTP trace receiver on 127.0.0.1 (port 0): accepts the JSON encoding of
 * `ExportTraceServiceRequest` on `POST /v1/traces` — what `@opentelemetry/exporter-trace-otlp-http`
 * sends — and keeps the spans in memory. For tests and local debugging, where no
 * collector binary is at hand; it answers 415 to protobuf so a misconfigured exporter is seen.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    if (!/application\/json/.test(req.headers['content-type'] ?? '')) {
      res.writeHead(415).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      let payload: ExportTraceServiceRequest;
      try {
        payload = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExportTraceServiceRequest;
      } catch {
        res.writeHead(400).end();
        return;
      }
      for (const rs of payload.resourceSpans ?? []) {
        const resource = flatten(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? [])
            spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              name: s.name,
              kind: s.kind ?? 0,
              startTimeMs: toMs(s.startTimeUnixNano),
              endTimeMs: toMs(s.endTimeUnixNano),
              attributes: flatten(s.attributes),
              resource,
            });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

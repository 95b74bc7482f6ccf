// Child process of telemetry.int.test.ts. `server` mode: an "analyst" that takes one
// HTTP call, continues the caller's trace, runs a policy decision as an audited span,
// answers, flushes its spans and exits. `client` mode: a "coordinator" that opens an
// incident span and calls the server with the W3C traceparent header.
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, context, trace } from '@opentelemetry/api';
import {
  extractTraceContext,
  initTelemetry,
  injectTraceHeaders,
  withAuditedSpan,
} from '../telemetry.js';

const [mode, endpoint, target] = process.argv.slice(2) as [string, string, string | undefined];

if (mode === 'server') {
  const telemetry = await initTelemetry({ serviceName: 'analyst', otlpEndpoint: endpoint });
  const tracer = telemetry.tracer;
  const server = createServer((req, res) => {
    const parent = extractTraceContext(req.headers);
    void tracer.startActiveSpan(
      'a2a.server analyse',
      { kind: SpanKind.SERVER },
      parent,
      async (span) => {
        await withAuditedSpan('policy.decision', { 'vigil.incident_id': 'inc-1' }, async (s) => {
          s.recordAuditEntry('f'.repeat(64));
        });
        span.end();
        res.end('ok');
        server.close();
        await telemetry.shutdown();
        process.exit(0);
      },
    );
  });
  server.listen(0, '127.0.0.1', () =>
    process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`),
  );
} else {
  const telemetry = await initTelemetry({ serviceName: 'coordinator', otlpEndpoint: endpoint });
  await withAuditedSpan('incident', { 'vigil.incident_id': 'inc-1' }, async () => {
    await withAuditedSpan(
      'a2a.client analyse',
      {},
      async (s) => {
        const headers = injectTraceHeaders({});
        process.stdout.write(
          `client-span ${s.spanId} ${trace.getSpan(context.active())?.spanContext().traceId}\n`,
        );
        await new Promise<void>((resolve, reject) => {
          const req = request(target!, { method: 'POST', headers }, (res) => {
            res.resume();
            res.on('end', resolve);
          });
          req.on('error', reject);
          req.end();
        });
      },
      { kind: SpanKind.CLIENT },
    );
  });
  await telemetry.shutdown();
}

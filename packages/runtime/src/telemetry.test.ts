import assert from 'node:assert/strict';
import { test } from 'node:test';
import { otlpTargetOf } from './telemetry.js';

test('the standard OTLP variables win over telemetry.otlpEndpoint, the traces-specific one first', () => {
  const declared = 'http://collector:4318';
  assert.deepEqual(otlpTargetOf({}, declared), { source: 'declaration', endpoint: declared });
  assert.deepEqual(otlpTargetOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other:4318' }, declared), {
    source: 'environment',
    variable: 'OTEL_EXPORTER_OTLP_ENDPOINT',
  });
  assert.deepEqual(
    otlpTargetOf(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces:4318/v1/traces',
      },
      undefined,
    ),
    { source: 'environment', variable: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' },
  );
});

test('no endpoint, an empty variable or OTEL_SDK_DISABLED=true means no export', () => {
  assert.equal(otlpTargetOf({}, undefined), undefined);
  assert.equal(otlpTargetOf({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }, undefined), undefined);
  assert.equal(
    otlpTargetOf(
      { OTEL_SDK_DISABLED: 'TRUE', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other:4318' },
      'http://collector:4318',
    ),
    undefined,
  );
});

test('an OTLP variable that is not an http(s) URL is a configuration error naming it', () => {
  assert.throws(() => otlpTargetOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://c:4317' }, undefined), {
    code: 'VIGIL_RUNTIME_ENV_INVALID',
    message: /^OTEL_EXPORTER_OTLP_ENDPOINT: /,
  });
});

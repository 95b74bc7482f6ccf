import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isVigilError } from '@vigil/core';
import { parseAgentProcessEnv } from './env.js';

const good = {
  VIGIL_AGENT: 'front',
  VIGIL_CONFIG: '/etc/vigil.yaml',
  VIGIL_STATE_DIR: '/var/lib/vigil',
  VIGIL_PORT: '4000',
  VIGIL_HEALTH_PORT: '4001',
  VIGIL_REPLICA: '2',
};

test('parses the agent process environment with defaults', () => {
  const env = parseAgentProcessEnv(good);
  assert.equal(env.agent, 'front');
  assert.equal(env.port, 4000);
  assert.equal(env.healthPort, 4001);
  assert.equal(env.replica, 2);
  assert.equal(env.drainTimeoutMs, 10_000);
});

test('reports every bad variable at once, by name', () => {
  assert.throws(
    () =>
      parseAgentProcessEnv({
        ...good,
        VIGIL_AGENT: undefined,
        VIGIL_CONFIG: 'relative.yaml',
        VIGIL_PORT: '70000',
      }),
    (e: unknown) => {
      assert.ok(isVigilError(e, 'VIGIL_RUNTIME_ENV_INVALID'));
      assert.match(e.message, /VIGIL_AGENT/);
      assert.match(e.message, /VIGIL_CONFIG: must be an absolute path/);
      assert.match(e.message, /VIGIL_PORT/);
      return true;
    },
  );
});

test('in a pod: VIGIL_HOST binds every address and VIGIL_TLS_DIR names the mounted Secret', () => {
  const env = parseAgentProcessEnv({
    ...good,
    VIGIL_HOST: '0.0.0.0',
    VIGIL_TLS_DIR: '/var/run/vigil/tls',
  });
  assert.equal(env.host, '0.0.0.0');
  assert.equal(env.tlsDir, '/var/run/vigil/tls');
  assert.equal(
    parseAgentProcessEnv({ ...good, VIGIL_PEER_DOMAIN: 'soc.svc' }).peerDomain,
    'soc.svc',
  );
  const local = parseAgentProcessEnv(good);
  assert.equal(local.host, '127.0.0.1');
  assert.equal(local.tlsDir, undefined);
  assert.throws(
    () => parseAgentProcessEnv({ ...good, VIGIL_HOST: 'everywhere', VIGIL_TLS_DIR: 'tls' }),
    (e: unknown) =>
      isVigilError(e, 'VIGIL_RUNTIME_ENV_INVALID') &&
      /VIGIL_HOST/.test(e.message) &&
      /VIGIL_TLS_DIR: must be an absolute path/.test(e.message),
  );
});

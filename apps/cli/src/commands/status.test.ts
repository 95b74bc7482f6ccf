import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SupervisorStatus } from '@vigil/supervisor';
import { renderStatus } from './status.js';

const now = Date.parse('2026-01-01T12:00:00Z');
const status: SupervisorStatus = {
  version: 1,
  system: 'demo',
  configPath: '/x/vigil.yaml',
  supervisor: { pid: 42, state: 'running', startedAt: '2026-01-01T11:00:00Z' },
  updatedAt: '2026-01-01T12:00:00Z',
  agents: [
    {
      name: 'front',
      spiffeId: 'spiffe://d/agent/front',
      memoryBytes: 256 * 1048576,
      certificate: { notAfter: '2026-01-02T12:00:00.000Z', fingerprintSha256: 'AA' },
      replicas: [
        {
          replica: 0,
          pid: 100,
          state: 'ready',
          url: 'https://127.0.0.1:1',
          port: 1,
          healthPort: 2,
          restarts: 2,
          startedAt: '2026-01-01T11:58:30Z',
          readyAt: '2026-01-01T11:58:31Z',
          lastExit: { code: null, signal: 'SIGKILL', at: '2026-01-01T11:58:29Z' },
          lastError: {
            code: 'VIGIL_SUPERVISOR_LIVENESS_FAILED',
            message: 'no answer',
            at: '2026-01-01T11:58:29Z',
          },
          nextRestartAt: null,
          rssBytes: 130 * 1048576,
          certificate: null,
        },
      ],
    },
  ],
};

test('renders pid, state, restarts, uptime, memory, certificate expiry and the last error', () => {
  const text = renderStatus(status, true, now);
  assert.match(text, /supervisor pid 42 running, up 1h00m/);
  const row = text.split('\n')[2] ?? '';
  for (const cell of [
    'front',
    '100',
    'ready',
    '2',
    '1m30s',
    '130Mi/256Mi',
    '2026-01-02T12:00:00Z (1d0h)',
  ]) {
    assert.ok(row.includes(cell), `${cell} in ${row}`);
  }
  assert.match(row, /VIGIL_SUPERVISOR_LIVENESS_FAILED: no answer/);
});

test('a status left by a dead supervisor is marked stale', () => {
  const text = renderStatus(status, false, now);
  assert.match(text, /supervisor pid 42 is NOT running/);
  assert.match(text, /ready \(stale\)/);
});

test("in containers it shows each replica's container id and its cgroup memory against the limit", () => {
  const agent = status.agents[0]!;
  const replica = agent.replicas[0]!;
  const contained: SupervisorStatus = {
    ...status,
    runtime: 'podman',
    agents: [
      {
        ...agent,
        replicas: [
          {
            ...replica,
            rssBytes: null,
            containerId: 'fe2ee7195fcd68d0a966a26c37c4e0b1dc6636d53e734dda668dae5f05b0b761',
            cgroupMemoryBytes: 37 * 1048576,
          },
        ],
      },
    ],
  };
  const [, header, row] = renderStatus(contained, true, now).split('\n');
  assert.match(header ?? '', /CONTAINER .*MEM \(CGROUP\)/);
  assert.ok(row?.includes('fe2ee7195fcd '), row);
  assert.ok(row?.includes('37Mi/256Mi'), row);
});

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { createVigilMetrics, mountMetrics } from './prometheus.js';

test('serves per-agent counters and the compliance gauges on /metrics', async (t) => {
  const m = createVigilMetrics();
  m.observeCall('analyst', 'analyse', 0.2);
  m.observeCall('analyst', 'analyse', 3, { code: 'VIGIL_TRANSPORT_DEADLINE' });
  m.verdicts.inc({ decision: 'mutate' });
  m.escalationsPending.set(2);
  m.restarts.inc({ agent: 'detector' });
  m.setCompliance({
    window: { since: '', until: '' },
    entries: 0,
    leastAgency: [
      {
        agentClass: 'remediator',
        agents: ['remediator'],
        granted: 7,
        autonomous: 3,
        ratio: 3 / 7,
        used: 2,
        usedShare: 2 / 7,
      },
    ],
    fiveSignal: {
      agents: [],
      covered: 2,
      total: 5,
      coverage: 0.4,
      perSignal: {
        identity: null,
        execution: null,
        intent: null,
        communication: null,
        health: null,
      },
    },
    mutation: { flagged: 0, mutate: 0, deny: 0, escalate: 0, rate: null },
  });
  const server = createServer();
  mountMetrics(server, m);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  const text = await res.text();
  assert.match(text, /vigil_agent_calls_total\{agent="analyst",skill="analyse",outcome="ok"\} 1/);
  assert.match(
    text,
    /vigil_agent_errors_total\{agent="analyst",code="VIGIL_TRANSPORT_DEADLINE"\} 1/,
  );
  assert.match(
    text,
    /vigil_agent_call_duration_seconds_bucket\{le="0\.25",agent="analyst",skill="analyse"\} 1/,
  );
  assert.match(text, /vigil_verdicts_total\{decision="mutate"\} 1/);
  assert.match(text, /vigil_escalations_pending 2/);
  assert.match(text, /vigil_agent_restarts_total\{agent="detector"\} 1/);
  assert.match(text, /vigil_least_agency_ratio\{agent_class="remediator"\} 0\.428571/);
  assert.match(text, /vigil_five_signal_coverage 0\.4/);
  assert.match(text, /vigil_step_mutation_intervention_rate NaN/i);
  assert.equal((await fetch(`${base}/other`)).status, 404);
});

/**
 * Test helper process: the real detector agent (settings, model file, HTTP intake,
 * pipeline, findings outbox, dead-letter file) in a process of its own, so a test can
 * measure what one request costs the detector's resident set (`VmHWM` of
 * `/proc/self/status`) without the test's own heap in the figure.
 *
 *   fork('detector-child.ts', [stateDir, coordinator: 'acknowledges' | 'stalled'])
 *   → { url } … 'stats' → { vmHwmKiB, vmRssKiB, counters }
 *
 * The model file must already be at `<stateDir>/detector/model.json`; the bearer token
 * is read from `VIGIL_CHILD_INGEST_TOKEN`. With `stalled`, the coordinator never
 * acknowledges a finding (it is down), so the findings outbox fills.
 */
import { readFileSync } from 'node:fs';
import type { AgentContext } from '@vigil/runtime';
import { createLogger } from '@vigil/core';
import { agent, detectorIntakeStats, detectorIntakeUrl, detectorStats } from './agent.js';

const [stateDir, coordinator, settingsJson] = process.argv.slice(2);
if (stateDir === undefined || !process.send)
  throw new Error('usage: fork(detector-child.ts, [stateDir, acknowledges|stalled, settings?])');

const ctx: AgentContext = {
  system: {} as AgentContext['system'],
  spec: {
    name: 'detector',
    replicas: 1,
    calls: ['coordinator'],
    settings: {
      http: { port: 0, tokenEnv: 'VIGIL_CHILD_INGEST_TOKEN' },
      ...(settingsJson === undefined ? {} : (JSON.parse(settingsJson) as object)),
    },
  } as unknown as AgentContext['spec'],
  spiffeId: 'spiffe://vigil.test/agent/detector',
  replica: 0,
  stateDir,
  host: '127.0.0.1',
  logger: createLogger('detector-child', { level: 'silent' }),
  client: {
    callSkill: () =>
      coordinator === 'stalled'
        ? new Promise(() => {})
        : new Promise((resolve) =>
            setImmediate(() =>
              resolve({ kind: 'new', incidentId: 'inc-child', entities: [], stormKey: 's' }),
            ),
          ),
    async close() {},
  } as unknown as AgentContext['client'],
  credentials: () => {
    throw new Error('no TLS in this helper');
  },
};

function status(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(
    readFileSync('/proc/self/status', 'utf8'),
  );
  return m === null ? Number.NaN : Number(m[1]);
}

await agent.start?.(ctx);
process.on('message', (m) => {
  if (m === 'stats')
    process.send?.({
      vmHwmKiB: status('VmHWM'),
      vmRssKiB: status('VmRSS'),
      counters: detectorIntakeStats(),
      pipeline: detectorStats(),
    });
  if (m === 'stop') void agent.stop?.().then(() => process.disconnect());
});
process.send({ url: detectorIntakeUrl() });

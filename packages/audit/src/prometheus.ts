import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ComplianceMetrics } from './metrics.js';

/** Vigil's Prometheus metrics: per-agent operational counters and the compliance gauges. */
export interface VigilMetrics {
  readonly registry: Registry;
  /** A2A skill calls handled, by agent, skill and outcome (`ok` | `error`). */
  readonly calls: Counter<'agent' | 'skill' | 'outcome'>;
  readonly errors: Counter<'agent' | 'code'>;
  /** Call latency in seconds. */
  readonly latency: Histogram<'agent' | 'skill'>;
  readonly verdicts: Counter<'decision'>;
  readonly escalationsPending: Gauge;
  readonly restarts: Counter<'agent'>;
  readonly leastAgencyRatio: Gauge<'agent_class'>;
  readonly permissionsUsedShare: Gauge<'agent_class'>;
  readonly fiveSignalCoverage: Gauge;
  readonly stepMutationInterventionRate: Gauge;
  /** Records one finished call. */
  observeCall(agent: string, skill: string, seconds: number, error?: { code: string }): void;
  /** Sets the three compliance gauges from {@link computeComplianceMetrics}' result (n/a values become NaN). */
  setCompliance(m: ComplianceMetrics): void;
}

/**
 * Creates the metrics in their own registry (so several systems in one process, or
 * tests, never collide). `defaultMetrics` adds the process metrics (CPU, memory, event loop).
 */
export function createVigilMetrics(
  options: { defaultMetrics?: boolean; prefix?: string } = {},
): VigilMetrics {
  const registry = new Registry();
  const p = options.prefix ?? 'vigil_';
  if (options.defaultMetrics === true) collectDefaultMetrics({ register: registry, prefix: p });
  const registers = [registry];
  const calls = new Counter({
    name: `${p}agent_calls_total`,
    help: 'A2A skill calls handled',
    labelNames: ['agent', 'skill', 'outcome'] as const,
    registers,
  });
  const errors = new Counter({
    name: `${p}agent_errors_total`,
    help: 'Errors by agent and Vigil error code',
    labelNames: ['agent', 'code'] as const,
    registers,
  });
  const latency = new Histogram({
    name: `${p}agent_call_duration_seconds`,
    help: 'A2A skill call latency',
    labelNames: ['agent', 'skill'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const verdicts = new Counter({
    name: `${p}verdicts_total`,
    help: 'Policy verdicts by decision',
    labelNames: ['decision'] as const,
    registers,
  });
  const escalationsPending = new Gauge({
    name: `${p}escalations_pending`,
    help: 'Escalations waiting for a human',
    registers,
  });
  const restarts = new Counter({
    name: `${p}agent_restarts_total`,
    help: 'Agent process restarts',
    labelNames: ['agent'] as const,
    registers,
  });
  const leastAgencyRatio = new Gauge({
    name: `${p}least_agency_ratio`,
    help: 'Autonomous ÷ granted permissions per agent class (lower is better)',
    labelNames: ['agent_class'] as const,
    registers,
  });
  const permissionsUsedShare = new Gauge({
    name: `${p}permissions_used_share`,
    help: 'Share of granted permissions used in the window, per agent class',
    labelNames: ['agent_class'] as const,
    registers,
  });
  const fiveSignalCoverage = new Gauge({
    name: `${p}five_signal_coverage`,
    help: 'Share of agents observed in all five signal domains',
    registers,
  });
  const stepMutationInterventionRate = new Gauge({
    name: `${p}step_mutation_intervention_rate`,
    help: 'Of verdicts not a plain allow, the share that mutate',
    registers,
  });
  const num = (x: number | null) => (x === null ? Number.NaN : x);
  return {
    registry,
    calls,
    errors,
    latency,
    verdicts,
    escalationsPending,
    restarts,
    leastAgencyRatio,
    permissionsUsedShare,
    fiveSignalCoverage,
    stepMutationInterventionRate,
    observeCall(agent, skill, seconds, error) {
      calls.inc({ agent, skill, outcome: error === undefined ? 'ok' : 'error' });
      latency.observe({ agent, skill }, seconds);
      if (error !== undefined) errors.inc({ agent, code: error.code });
    },
    setCompliance(m) {
      leastAgencyRatio.reset();
      permissionsUsedShare.reset();
      for (const l of m.leastAgency) {
        leastAgencyRatio.set({ agent_class: l.agentClass }, num(l.ratio));
        permissionsUsedShare.set({ agent_class: l.agentClass }, num(l.usedShare));
      }
      fiveSignalCoverage.set(num(m.fiveSignal.coverage));
      stepMutationInterventionRate.set(num(m.mutation.rate));
    },
  };
}

/**
 * Serves `GET /metrics` (Prometheus text format) on `server`; other requests are left to
 * the server's other `request` listeners, or answered 404 when there are none.
 * Returns a function that unmounts the handler.
 */
export function mountMetrics(
  server: Server,
  metrics: Pick<VigilMetrics, 'registry'>,
  path = '/metrics',
): () => void {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = (req.url ?? '/').split('?')[0];
    if (url !== path) {
      if (server.listenerCount('request') === 1 && !res.headersSent) {
        res.writeHead(404).end();
      }
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    metrics.registry
      .metrics()
      .then((text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      })
      .catch((error: unknown) => {
        res
          .writeHead(500, { 'content-type': 'text/plain' })
          .end(`metrics collection failed: ${(error as Error).message}\n`);
      });
  };
  server.on('request', handler);
  return () => server.off('request', handler);
}

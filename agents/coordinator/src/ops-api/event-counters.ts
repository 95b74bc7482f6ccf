import type { AgentSystem } from '@vigil/registry';
import { SOC_SKILLS } from '@vigil/soc';
import type { SupervisorStatus } from '@vigil/supervisor';

/** Events the detectors scored, and since when (the earliest of the counting replicas' starts). */
export interface ScoredEvents {
  readonly events: number;
  readonly since: string | null;
}

/** How long one replica's health server gets to answer before it is left out. */
const PROBE_TIMEOUT_MS = 1_000;

/**
 * The events scored by the system's detectors — agents serving `ingest-events` — read
 * from each running replica's own counters (`agentStatus.scored` in its health server's
 * `/readyz`, the address the supervisor probes). The counters live in the processes: a
 * restarted replica counts from its restart. Null when no replica answered.
 */
export async function scoredEvents(
  system: AgentSystem,
  status: SupervisorStatus,
): Promise<ScoredEvents | null> {
  const detectors = new Set(
    system.agents
      .filter((a) => a.skills.some((s) => s.id === SOC_SKILLS.ingestEvents.id))
      .map((a) => a.name),
  );
  const replicas = status.agents
    .filter((a) => detectors.has(a.name))
    .flatMap((a) => a.replicas)
    .filter((r) => r.pid !== null && r.startedAt !== null);
  const counts = await Promise.all(
    replicas.map(async (r) => {
      try {
        const url = `http://${new URL(r.url).hostname}:${r.healthPort}/readyz`;
        const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
        const body = (await response.json()) as { agentStatus?: { scored?: unknown } };
        const scored = body.agentStatus?.scored;
        return typeof scored === 'number' ? { scored, since: r.startedAt } : undefined;
      } catch {
        return undefined; // not answering now: counted as unknown, not as zero
      }
    }),
  );
  const answered = counts.filter((c) => c !== undefined);
  if (answered.length === 0) return null;
  return {
    events: answered.reduce((n, c) => n + c.scored, 0),
    since: answered.map((c) => c.since).sort()[0] ?? null,
  };
}

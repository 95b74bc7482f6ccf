import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { isVigilError } from '@vigil/core';
import { describeSystem } from '@vigil/registry';
import { readSupervisorStatus, type AgentStatus, type SupervisorStatus } from '@vigil/supervisor';
import { readSources } from './read-access.js';
import { agentsResponseSchema, type agentHealthSchema } from './read-schemas.js';
import type { ReadSources } from './read-sources.js';
import { ERROR_RESPONSES } from './routes-core.js';

type Health = z.output<typeof agentHealthSchema>;

/** The supervisor's report, or null when there is none (not started through `vigil up`). */
export function supervisorReport(
  stateDir: string,
): { status: SupervisorStatus; alive: boolean } | null {
  try {
    const { status, supervisorAlive } = readSupervisorStatus(stateDir);
    return { status, alive: supervisorAlive };
  } catch (error) {
    if (isVigilError(error) && error.code === 'VIGIL_SUPERVISOR_NO_STATUS') return null;
    throw error;
  }
}

function healthOf(agent: AgentStatus | undefined, alive: boolean): Health {
  if (!alive || agent === undefined || agent.replicas.length === 0) return 'unknown';
  const ready = agent.replicas.filter((r) => r.state === 'ready').length;
  if (ready === agent.replicas.length) return 'healthy';
  return ready === 0 ? 'down' : 'degraded';
}

/**
 * `GET /v1/agents`: every declared agent as `vigil registry` describes it (identity,
 * skills, callers and callees, permissions, autonomy; settings left out, they are the
 * agent's own) joined with its replicas as `vigil status` reports them (state, restarts,
 * memory, certificates).
 */
export function registerAgentRoutes(app: FastifyInstance, deps: () => ReadSources | undefined) {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/agents',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'The agent registry with each agent’s live status',
        tags: ['agents'],
        response: { 200: agentsResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async () => {
      const { system, stateDir } = readSources(deps);
      const description = describeSystem(system);
      const report = supervisorReport(stateDir);
      const alive = report?.alive ?? false;
      const podman = report?.status.runtime === 'podman';
      return {
        system: {
          name: description.name,
          namespace: description.namespace,
          trustDomain: description.trustDomain,
        },
        supervisor:
          report === null
            ? null
            : {
                ...report.status.supervisor,
                alive,
                updatedAt: report.status.updatedAt,
                runtime: report.status.runtime ?? 'process',
              },
        agents: description.agents.map((a) => {
          const status = report?.status.agents.find((s) => s.name === a.name);
          const instances = (status?.replicas ?? []).map((r) => ({
            replica: r.replica,
            state: r.state,
            pid: r.pid,
            restarts: r.restarts,
            startedAt: r.startedAt,
            readyAt: r.readyAt,
            memoryBytes: podman ? (r.cgroupMemoryBytes ?? null) : r.rssBytes,
            containerId: r.containerId ?? null,
            certificate: r.certificate,
            lastError: r.lastError,
          }));
          const memory = instances.filter((r) => r.memoryBytes !== null && r.pid !== null);
          return {
            name: a.name,
            role: a.role,
            description: a.description,
            spiffeId: a.spiffeId,
            implementation: a.implementation,
            replicas: a.replicas,
            stateful: a.stateful,
            resources: a.resources,
            skills: a.skills.map((s) => ({ id: s.id, name: s.name, description: s.description })),
            calls: a.calls,
            callers: a.callers,
            permissions: a.permissions,
            autonomy: a.autonomy,
            health: healthOf(status, alive),
            restarts: instances.reduce((n, r) => n + r.restarts, 0),
            memoryBytes:
              alive && memory.length > 0
                ? memory.reduce((n, r) => n + (r.memoryBytes ?? 0), 0)
                : null,
            certificate: status?.certificate ?? null,
            instances,
          };
        }),
      };
    },
  );
}

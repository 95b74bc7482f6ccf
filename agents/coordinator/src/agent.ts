import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { z } from 'zod';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { analyseFinding } from '@vigil/analyst';
import {
  openAgentAuditWriter,
  openAuditStore,
  type AgentAuditWriter,
  type AuditStore,
} from '@vigil/audit';
import { isVigilError } from '@vigil/core';
import {
  createPeerClient,
  implementSkill,
  publishServiceAddress,
  withdrawServiceAddress,
  type AgentContext,
  type AgentDefinition,
} from '@vigil/runtime';
import {
  type Analysis,
  type Finding,
  SOC_AGENTS,
  SOC_AUDIT_VOCABULARY,
  SOC_SKILLS,
} from '@vigil/soc';
import { createApprovalVerifier } from './approval-verifier.js';
import { Coordinator } from './coordinator.js';
import { DEFAULT_CORRELATION } from './correlator.js';
import { fencedCheckpointer } from './fenced-checkpointer.js';
import {
  createLocalOwnership,
  createPostgresLeases,
  type IncidentOwnership,
} from './incident-leases.js';
import type { IncidentRecords } from './incident-records.js';
import { IncidentStore } from './incident-store.js';
import { PostgresIncidentStore } from './postgres-incident-store.js';
import { failureNotificationFor, notificationFor } from './notification.js';
import { OidcLogin } from './ops-api/oidc-login.js';
import { oidcSettingsSchema, readClientSecret } from './ops-api/oidc-settings.js';
import { startOpsApi, type OpsApi } from './ops-api/server.js';
import { PostgresSessionTable } from './ops-api/session-table-postgres.js';
import { SqliteSessionTable } from './ops-api/session-table-sqlite.js';
import { SessionStore } from './ops-api/sessions.js';
import type { IncidentPorts, StepContext } from './ports.js';
import { ensureBootstrapAdmin, ensureBootstrapPassword, listUsers } from './users.js';

/** The service name under which the coordinator publishes its API's address. */
export const OPS_API_SERVICE = 'ops-api';

/** `agents[coordinator].settings` in vigil.yaml. */
export const coordinatorSettingsSchema = z.strictObject({
  api: z
    .strictObject({
      // Default: where the agent itself listens (VIGIL_HOST): loopback as a process, the
      // container's own address in a container, so the CLI on the host reaches it.
      host: z.string().optional(),
      // 0: any free port, published in the state directory (OPS_API_SERVICE), so that
      // several systems run side by side and each CLI finds its own.
      port: z.number().int().min(0).max(65_535).default(0),
    })
    .prefault({}),
  /** How often expired approvals are swept (rejected, fail safe). */
  approvalSweepMs: z.number().int().min(100).default(5_000),
  /** Deadline of each specialist call; the analyst gets the model timeout on top. */
  callDeadlineMs: z.number().int().min(100).default(10_000),
  concurrency: z.number().int().min(1).max(64).default(4),
  /**
   * Incident runs waiting for one of the `concurrency` slots at most; beyond it
   * `handle-finding` refuses (VIGIL_COORDINATOR_BUSY) and the detector's outbox keeps the
   * finding and retries, so a flood waits on disk instead of in this process.
   */
  maxQueuedRuns: z.number().int().min(1).default(256),
  /** Findings are gathered into an incident for settleMs of quiet (at most maxWaitMs) before it is analysed. */
  aggregation: z
    .strictObject({
      settleMs: z.number().int().min(0).default(2_000),
      maxWaitMs: z.number().int().min(0).default(10_000),
    })
    .prefault({}),
  /**
   * Correlation and storm rollup (see `CorrelationSettings`): the join window, the storm
   * rollup window (0 turns rollup off) and the per-entity limit for findings unlike any storm.
   */
  correlation: z
    .strictObject({
      windowMs: z.number().int().min(0).default(DEFAULT_CORRELATION.windowMs),
      rollupWindowMs: z.number().int().min(0).default(DEFAULT_CORRELATION.rollupWindowMs),
      perEntityPerMinute: z.number().min(0).default(DEFAULT_CORRELATION.perEntityPerMinute),
      perEntityBurst: z.number().int().min(1).default(DEFAULT_CORRELATION.perEntityBurst),
      maxEntities: z.number().int().min(100).default(DEFAULT_CORRELATION.maxEntities),
    })
    .prefault({}),
  traceLinkBase: z.string().url().optional(),
  /** The console's sign-in: OIDC as an option beside local users (docs/console.md). */
  console: z.strictObject({ oidc: oidcSettingsSchema.optional() }).prefault({}),
  /**
   * Incident leases (storage.state on PostgreSQL, docs/scale-out.md): a replica that stops
   * renewing loses its incidents after ttlMs, and every replica looks for such orphans
   * every adoptEveryMs. Failover takes at most ttlMs + adoptEveryMs.
   */
  lease: z
    .strictObject({
      ttlMs: z.number().int().min(500).default(10_000),
      adoptEveryMs: z.number().int().min(100).default(2_000),
    })
    .prefault({}),
});

/**
 * The coordinator agent: `handle-finding` opens or joins incidents and runs their
 * LangGraph graphs against the specialists over mTLS A2A; an HTTP API serves incidents
 * and approvals; expired approvals are swept and rejected. A failing analyst degrades
 * to the offline analyser (flagged); a failing notifier never fails an incident.
 */
export function createCoordinatorAgent(): AgentDefinition {
  let coordinator: Coordinator | undefined;
  let store: IncidentRecords | undefined;
  let ownership: IncidentOwnership | undefined;
  let adopt: NodeJS.Timeout | undefined;
  let audit: AgentAuditWriter | undefined;
  let api: OpsApi | undefined;
  let auditReader: AuditStore | undefined;
  let stateDir: string | undefined;
  let sweep: NodeJS.Timeout | undefined;
  let closeCheckpointer: (() => Promise<void>) | undefined;
  let closeSessions: (() => void) | undefined;

  return {
    async start(ctx) {
      const settings = coordinatorSettingsSchema.parse(ctx.spec.settings ?? {});
      const oidcSettings = settings.console.oidc;
      // A missing client secret is a configuration error now, not a failed sign-in later.
      if (oidcSettings) readClientSecret(oidcSettings);
      const dataDir = join(ctx.stateDir, 'data');
      mkdirSync(dataDir, { recursive: true });
      audit = await openAgentAuditWriter({
        storage: ctx.system.storage.audit,
        stateDir: ctx.stateDir,
        identity: () => ctx.credentials(),
        kinds: SOC_AUDIT_VOCABULARY.kinds,
      });
      const state = await openState(ctx, dataDir, settings);
      store = state.store;
      ownership = state.ownership;
      closeSessions = state.closeSessions;
      const sessions = state.sessions;
      const checkpointer = await openCheckpointer(ctx, dataDir);
      closeCheckpointer = checkpointer.close;
      coordinator = new Coordinator({
        ports: createPorts(ctx, audit, settings),
        store,
        ownership,
        checkpointer: fencedCheckpointer(checkpointer.saver, ownership),
        approvalTtlMs: ctx.system.policy.approvals.ttlSeconds * 1000,
        concurrency: settings.concurrency,
        maxQueuedRuns: settings.maxQueuedRuns,
        aggregation: settings.aggregation,
        correlation: settings.correlation,
        logger: ctx.logger,
        verifyApproval: createApprovalVerifier({
          trustDomain: ctx.system.trustDomain,
          caPem: () => ctx.credentials().ca,
          // A local user's role from the users file; an OIDC user's from their live session.
          roleOf: async (by) =>
            listUsers(ctx.stateDir).find((u) => `user:${u.id}` === by)?.role ??
            (by.startsWith('user:') ? await sessions.oidcRole(by.slice(5)) : undefined),
        }),
      });
      const resumed = await coordinator.resumeInFlight();
      if (resumed.length)
        ctx.logger.info(
          { incidents: resumed },
          'resuming in-flight incidents from their checkpoints',
        );
      if (ensureBootstrapAdmin(ctx.stateDir))
        ctx.logger.info('created the local admin user (token in users/admin.token)');
      if (await ensureBootstrapPassword(ctx.stateDir))
        ctx.logger.info('gave the local admin a console password (users/admin.password)');
      // The console's read routes query the trail through a store of their own, apart
      // from the writer's, so a long search never waits behind the writer's batches.
      auditReader = await openAuditStore(ctx.system.storage.audit, ctx.stateDir);
      api = await startOpsApi({
        coordinator,
        store,
        reads: {
          system: ctx.system,
          stateDir: ctx.stateDir,
          audit: auditReader,
          caPem: () => ctx.credentials().ca,
        },
        stateDir: ctx.stateDir,
        trustDomain: ctx.system.trustDomain,
        sessions,
        ...(oidcSettings ? { oidc: new OidcLogin(oidcSettings) } : {}),
        host: settings.api.host ?? ctx.host,
        port: settings.api.port,
        logger: ctx.logger,
      });
      stateDir = ctx.stateDir;
      publishServiceAddress(stateDir, OPS_API_SERVICE, api.url);
      ctx.logger.info({ url: api.url }, 'incidents and approvals API listening');
      sweep = setInterval(
        () =>
          void coordinator
            ?.sweepExpired()
            .catch((e: unknown) => ctx.logger.error({ error: String(e) }, 'approval sweep failed')),
        settings.approvalSweepMs,
      );
      sweep.unref();
      if (ctx.system.storage.state.backend === 'postgres') {
        // Every replica watches for incidents whose owner died, and resumes them.
        const running = coordinator;
        adopt = setInterval(
          () =>
            void running
              .adoptOrphans()
              .then((ids) => {
                if (ids.length)
                  ctx.logger.info({ incidents: ids }, 'took over incidents of a lost replica');
              })
              .catch((e: unknown) =>
                ctx.logger.error({ error: String(e) }, 'taking over orphaned incidents failed'),
              ),
          settings.lease.adoptEveryMs,
        );
        adopt.unref();
      }
    },
    skills: [
      implementSkill(SOC_SKILLS.handleFinding, async (finding) =>
        coordinator!.handleFinding(finding),
      ),
      implementSkill(SOC_SKILLS.resumeIncident, async ({ approvalId, ...decision }) => ({
        approval: await coordinator!.decide(approvalId, decision),
      })),
    ],
    async stop() {
      if (sweep) clearInterval(sweep);
      if (adopt) clearInterval(adopt);
      if (stateDir) withdrawServiceAddress(stateDir, OPS_API_SERVICE);
      await api?.close();
      await auditReader?.close();
      await coordinator?.idle();
      // Released leases hand this replica's paused and failed incidents over at once.
      await ownership?.close();
      await closeCheckpointer?.();
      closeSessions?.();
      await store?.close();
      await audit?.close();
    },
  };
}

/**
 * Incidents, approvals and console sessions in SQLite (one process) or in PostgreSQL with
 * incident leases (replicas): `storage.state` decides. The owner id is unique per process
 * start, so a restarted replica never mistakes its predecessor's leases for its own.
 */
async function openState(
  ctx: AgentContext,
  dataDir: string,
  settings: z.infer<typeof coordinatorSettingsSchema>,
): Promise<{
  store: IncidentRecords;
  ownership: IncidentOwnership;
  sessions: SessionStore;
  closeSessions?: () => void;
}> {
  const config = ctx.system.storage.state;
  if (config.backend !== 'postgres') {
    const file = join(dataDir, 'coordinator.sqlite');
    const store = new IncidentStore(file);
    const table = new SqliteSessionTable(file);
    return {
      store,
      ownership: createLocalOwnership(),
      sessions: new SessionStore(table),
      closeSessions: () => table.close(),
    };
  }
  const store = await PostgresIncidentStore.open(config.url!);
  const sessions = new SessionStore(await PostgresSessionTable.open(store.pool));
  const ownership = await createPostgresLeases({
    pool: store.pool,
    owner: `${ctx.spec.name}-${ctx.replica}-${randomUUID().slice(0, 8)}`,
    ttlMs: settings.lease.ttlMs,
    onLost: (ids) =>
      ctx.logger.warn({ incidents: ids }, 'incident leases lost; another replica resumes them'),
  });
  return { store, ownership, sessions };
}

async function openCheckpointer(
  ctx: AgentContext,
  dataDir: string,
): Promise<{ saver: BaseCheckpointSaver; close: () => Promise<void> }> {
  const config = ctx.system.storage.checkpoints;
  if (config.backend === 'postgres') {
    const saver = PostgresSaver.fromConnString(config.url!);
    await saver.setup();
    return { saver, close: () => saver.end() };
  }
  const saver = SqliteSaver.fromConnString(join(dataDir, 'checkpoints.sqlite'));
  return { saver, close: async () => void saver.db.close() };
}

/** The incident graph's ports, as mTLS A2A calls to the specialists. */
function createPorts(
  ctx: AgentContext,
  audit: AgentAuditWriter,
  settings: z.infer<typeof coordinatorSettingsSchema>,
): IncidentPorts {
  const deadlineMs = settings.callDeadlineMs;
  const peers = createPeerClient(ctx.client, SOC_AGENTS);
  const record: IncidentPorts['record'] = (kind, what, why, step) =>
    audit.writer.append({
      kind,
      actor: step.actor ?? ctx.spiffeId,
      correlationId: step.incidentId,
      traceId: step.traceId,
      spanId: step.spanId,
      what: what as never,
      why: why as never,
    });
  return {
    async analyse(finding: Finding, step) {
      try {
        return await peers.call(
          'analyst',
          'analyse-finding',
          { incidentId: step.incidentId, finding },
          { deadlineMs: deadlineMs + ctx.system.model.timeoutMs, idempotent: true },
        );
      } catch (error) {
        // Degrade visibly: the offline analyser runs here, and the reason travels with the analysis.
        const reason = isVigilError(error) ? `${error.code}: ${error.message}` : String(error);
        const analysis: Analysis = {
          ...(await analyseFinding(finding, {})),
          degraded: `analyst unavailable (${reason}); the coordinator used the offline rule-based analyser`,
        };
        await record(
          'analysis',
          {
            findingId: finding.id,
            techniques: analysis.techniques,
            severity: analysis.severity,
            confidence: analysis.confidence,
            recommendedResponses: analysis.recommendedResponses,
            summary: analysis.summary,
          },
          { rationale: analysis.rationale, source: analysis.source, degraded: analysis.degraded! },
          step,
        );
        return analysis;
      }
    },
    propose: (finding, analysis, step) =>
      peers.call(
        'remediator',
        'propose-actions',
        { incidentId: step.incidentId, finding, analysis },
        { deadlineMs, idempotent: true },
      ),
    async assess(proposalId, action, step) {
      const {
        proposals: [proposal],
      } = await peers.call(
        'remediator',
        'propose-actions',
        { incidentId: step.incidentId, proposalId, action },
        { deadlineMs, idempotent: true },
      );
      if (!proposal)
        throw new Error(`the remediator could not assess the edited action ${action.type}`);
      return proposal;
    },
    review: (proposal, finding, analysis, step) =>
      peers.call(
        'reviewer',
        'review-action',
        {
          incidentId: step.incidentId,
          proposal,
          analysis,
          detectorScore: finding.score,
          observed: {
            addresses: finding.entities.addresses,
            pods: finding.entities.workload ? [finding.entities.workload] : [],
          },
        },
        { deadlineMs, idempotent: true },
      ),
    // Idempotent by key: a retry or a re-run after a crash returns the first result.
    execute: (action, authorisation, idempotencyKey, step) =>
      peers.call(
        'remediator',
        'execute-action',
        { incidentId: step.incidentId, action, authorisation, idempotencyKey },
        { deadlineMs, idempotent: true },
      ),
    async requestApprovals(requests, step) {
      for (const r of requests) {
        await record(
          'approval-request',
          {
            approvalId: r.id,
            proposalId: r.proposalId,
            action: r.action as never,
            actionDigest: r.actionDigest,
          },
          {
            reasons: [...r.review.reasons],
            rules: [...r.review.rules],
            rationale: 'the policy escalated this action to a human',
          },
          step,
        );
      }
    },
    async notify(summary, step) {
      await deliver(notificationFor(summary, settings.traceLinkBase), step);
    },
    async notifyFailure(failure, step) {
      await deliver(failureNotificationFor(failure, settings.traceLinkBase), step);
    },
    record,
  };

  async function deliver(
    notification: ReturnType<typeof notificationFor> | ReturnType<typeof failureNotificationFor>,
    step: StepContext,
  ): Promise<void> {
    try {
      await peers.call('notifier', 'notify', notification, {
        deadlineMs: deadlineMs * 6,
        idempotent: true,
      });
    } catch (error) {
      // A failing notifier never blocks an incident; the failure is logged and audited.
      ctx.logger.warn({ incidentId: step.incidentId, error: String(error) }, 'notification failed');
      await record(
        'notification',
        { kind: notification.kind, delivered: false, dedupKey: notification.dedupKey },
        { rationale: `notifier unreachable: ${String(error)}` },
        step,
      );
    }
  }
}

export const agent: AgentDefinition = createCoordinatorAgent();

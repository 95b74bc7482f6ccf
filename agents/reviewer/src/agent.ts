import { dirname } from 'node:path';
import { openAgentAuditWriter, type AgentAuditWriter, type JsonObject } from '@vigil/audit';
import { createPolicyEngine, type PolicyEngine } from '@vigil/policy';
import { resolveSystemPath, sourceOf } from '@vigil/registry';
import { implementSkill, type AgentContext, type AgentDefinition } from '@vigil/runtime';
import { ACTION_TYPES, SOC_AUDIT_VOCABULARY, SOC_SKILLS } from '@vigil/soc';
import { withAuditedSpan } from '@vigil/telemetry';
import { reviewInputDigest, reviewProposal } from './reviewer.js';

/** The Rego entrypoint of the SOC's action policy (`policies/soc`). */
export const SOC_POLICY_ENTRYPOINT = 'vigil/soc/review/verdict';

/**
 * The reviewer agent: one skill, `review-action`, answered by OPA (wasm in-process by
 * default, or an OPA server) and signed with the reviewer's identity. Every verdict is
 * written to the audit trail with its reasons, rules and bundle revision before it is
 * returned.
 */
export function createReviewerAgent(): AgentDefinition {
  let engine: PolicyEngine | undefined;
  let audit: AgentAuditWriter | undefined;
  let context: AgentContext | undefined;
  return {
    async start(ctx) {
      context = ctx;
      const system = ctx.system;
      const source = sourceOf(system);
      engine = await createPolicyEngine(system, {
        entrypoint: SOC_POLICY_ENTRYPOINT,
        baseDir: source ? dirname(source) : process.cwd(),
        knownActionTypes: ACTION_TYPES,
      });
      // The bundle path is resolved like every path in the declaration; log which one loaded.
      ctx.logger.info(
        {
          backend: engine.backend,
          revision: engine.revision,
          bundle: resolveSystemPath(system, system.policy.bundle),
        },
        'policy loaded',
      );
      audit = await openAgentAuditWriter({
        storage: system.storage.audit,
        stateDir: ctx.stateDir,
        identity: () => ctx.credentials(),
        kinds: SOC_AUDIT_VOCABULARY.kinds,
      });
      await audit.writer.append({
        kind: 'policy-load',
        actor: ctx.spiffeId,
        what: { backend: engine.backend, revision: engine.revision, bundle: system.policy.bundle },
        why: { rationale: 'reviewer start-up: every later verdict records this revision' },
      });
    },
    skills: [
      implementSkill(SOC_SKILLS.reviewAction, async (request, ctx) => {
        const self = context!;
        // The policy decision is a span of the caller's trace carrying its verdict entry id.
        return withAuditedSpan(
          'policy.decision',
          { 'vigil.incident_id': request.incidentId, 'vigil.proposal_id': request.proposal.id },
          async (span) => {
            const { response, input: policyInput } = await reviewProposal(request, {
              engine: engine!,
              signer: () => {
                const c = self.credentials();
                return { spiffeId: c.spiffeId, privateKeyPem: c.key, certPem: c.cert };
              },
              caPem: () => self.credentials().ca,
              ttlSeconds: self.system.policy.verdictTtlSeconds,
              maxReviewRounds: self.system.policy.maxReviewRounds,
              failClosed: self.system.policy.failClosed,
              logger: ctx.logger,
            });
            span.span.setAttribute('vigil.policy.decision', response.decision);
            const entry = await audit!.writer.append({
              kind: 'verdict',
              actor: self.spiffeId,
              correlationId: request.incidentId,
              traceId: span.traceId,
              spanId: span.spanId,
              what: {
                proposalId: request.proposal.id,
                decision: response.decision,
                action: response.action,
                proposedAction: request.proposal.action,
                rounds: response.rounds,
                requestedBy: ctx.caller.spiffeId,
                // The first round's input, replayable through another bundle (`vigil policy diff`).
                policyInput: policyInput as unknown as JsonObject,
              },
              why: {
                reasons: [...response.reasons],
                rules: [...response.rules],
                revision: response.revision,
                confidence: response.confidence,
              },
              inputDigest: reviewInputDigest(request),
            });
            span.recordAuditEntry(entry);
            return response;
          },
        );
      }),
    ],
    async stop() {
      await audit?.close();
      await engine?.close();
    },
  };
}

export const agent: AgentDefinition = createReviewerAgent();

import { digestOf, isVigilError, type DeepReadonly, type Logger } from '@vigil/core';
import {
  reviewAction,
  signVerdict,
  type PolicyEngine,
  type PolicyInput,
  type Signer,
} from '@vigil/policy';
import { verifyProposal, type Review, type ReviewRequest } from '@vigil/soc';

/** The reviewer's answer (`review-action`'s output): the signed verdict and its readable parts. */
export type ReviewResponse = DeepReadonly<Review>;

/**
 * A review and the exact policy input it was decided on. The input is recorded in the
 * verdict's audit entry so `vigil policy diff` can replay the decision through another
 * bundle; it holds facts (action, asset, blast radius, analysis scores, requester, time),
 * never event content or credentials.
 */
export interface ReviewOutcome {
  readonly response: ReviewResponse;
  readonly input: PolicyInput;
}

export interface ReviewerDeps {
  readonly engine: PolicyEngine;
  readonly signer: () => Signer;
  readonly caPem: () => string;
  readonly ttlSeconds: number;
  readonly maxReviewRounds: number;
  readonly failClosed: 'deny' | 'escalate';
  readonly now?: () => Date;
  readonly logger?: Logger;
}

/**
 * Reviews one proposal: authenticates the requester from the remediator's signature,
 * asks the policy engine (bounded mutate-and-review rounds), and signs the verdict bound
 * to the exact action it decides on. No language model takes part. A proposal whose
 * signature fails is still judged — as a request from an unknown identity, which the
 * policy denies — so the refusal is a signed, audited verdict rather than an error.
 */
export async function reviewProposal(
  request: ReviewRequest,
  deps: ReviewerDeps,
): Promise<ReviewOutcome> {
  const now = deps.now?.() ?? new Date();
  const { proposal } = request;
  let requester: string;
  try {
    requester = await verifyProposal(
      proposal.signature,
      {
        incidentId: request.incidentId,
        proposalId: proposal.id,
        action: proposal.action,
        asset: proposal.asset,
        blastRadius: proposal.blastRadius,
      },
      deps.caPem(),
      now,
    );
  } catch (error) {
    deps.logger?.warn(
      {
        code: isVigilError(error) ? error.code : 'VIGIL_PROPOSAL_INVALID',
        proposalId: proposal.id,
      },
      'proposal signature rejected',
    );
    requester = 'spiffe://unauthenticated/proposal';
  }
  const input: PolicyInput = {
    action: proposal.action,
    asset: proposal.asset as PolicyInput['asset'],
    blastRadius: {
      pods: proposal.blastRadius.pods,
      replicas: proposal.blastRadius.replicas,
      users: proposal.blastRadius.users,
    },
    analysis: {
      severity: request.analysis.severity,
      confidence: request.analysis.confidence,
      // The reviewer's confidence is built from this and the detector score alone; a
      // model's self-reported confidence (above) never reaches the autonomy gate.
      ...(request.analysis.evidence
        ? { ruleConfidence: request.analysis.evidence.ruleConfidence }
        : {}),
      techniques: request.analysis.techniques,
      source: request.analysis.source,
      observedAddresses: request.observed.addresses,
      affectedPods: request.observed.pods,
    },
    detectorScore: request.detectorScore,
    requester: { spiffeId: requester },
    time: now.toISOString(),
  };
  const verdict = await reviewAction(deps.engine, input, {
    maxReviewRounds: deps.maxReviewRounds,
    failClosed: deps.failClosed,
  });
  const jws = await signVerdict(verdict, deps.signer(), { ttlSeconds: deps.ttlSeconds, now });
  const response: ReviewResponse = {
    decision: verdict.decision,
    action: verdict.decision === 'mutate' ? verdict.mutatedAction! : verdict.reviewedAction,
    verdict: jws,
    reasons: verdict.reasons,
    rules: verdict.rules,
    revision: verdict.revision,
    confidence: verdict.confidence,
    rounds: verdict.rounds.length,
  };
  return { response, input };
}

/** Digest of the policy input facts, recorded in the audit entry so an auditor can replay the decision. */
export function reviewInputDigest(request: ReviewRequest): string {
  return digestOf({
    proposal: request.proposal,
    analysis: request.analysis,
    detectorScore: request.detectorScore,
    observed: request.observed,
  });
}

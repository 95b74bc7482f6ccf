/**
 * `@vigil/reviewer`: the SOC's policy reviewer. Deterministic verdicts from OPA on each
 * proposed action — allow, deny, escalate or mutate — signed with the reviewer's
 * identity and bound to the exact action. No language model takes part.
 *
 * @example
 * ```ts
 * import { reviewProposal } from '@vigil/reviewer';
 * const { response, input } = await reviewProposal(request, { engine, signer, caPem, ttlSeconds: 300, maxReviewRounds: 2, failClosed: 'deny' });
 * ```
 */
export { agent, createReviewerAgent, SOC_POLICY_ENTRYPOINT } from './agent.js';
export {
  reviewInputDigest,
  reviewProposal,
  type ReviewOutcome,
  type ReviewerDeps,
  type ReviewResponse,
} from './reviewer.js';

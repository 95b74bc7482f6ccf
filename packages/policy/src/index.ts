/**
 * `@vigil/policy`: deterministic verdicts on agent actions. A {@link PolicyEngine}
 * evaluates Rego (OPA) — in-process as WebAssembly (`OpaWasmPolicyEngine`, default) or on
 * an OPA server (`OpaServerPolicyEngine`) — and fails closed on malformed input, engine
 * errors and timeouts. `reviewAction` runs the bounded mutate-and-review loop;
 * `signVerdict`/`verifyVerdict` bind a verdict to the exact action with the reviewer's
 * identity; `signApproval`/`verifyApproval` do the same for human approvals.
 *
 * @example
 * ```ts
 * import { OpaWasmPolicyEngine, policyDataFromSystem, reviewAction, signVerdict, verifyVerdict } from '@vigil/policy';
 * const engine = await OpaWasmPolicyEngine.create({
 *   bundleDir: 'policies/soc', entrypoint: 'vigil/soc/review/verdict', data: policyDataFromSystem(system),
 * });
 * const verdict = await reviewAction(engine, input, { maxReviewRounds: system.policy.maxReviewRounds });
 * const jws = await signVerdict(verdict, reviewer, { ttlSeconds: system.policy.verdictTtlSeconds });
 * // in the remediator, before executing `action`:
 * await verifyVerdict(jws, { action, caPem, expectedSigner: 'spiffe://vigil.local/agent/reviewer' });
 * ```
 */
export { PolicyError, POLICY_ERROR_CODES, type PolicyErrorCode } from './errors.js';
export {
  DECISIONS,
  policyInputSchema,
  proposedActionSchema,
  regoVerdictSchema,
  type Decision,
  type FailClosedDecision,
  type PolicyDecision,
  type PolicyEngine,
  type PolicyInput,
  type ProposedAction,
  type ValidatedPolicyInput,
} from './types.js';
export { resolveOpaBinary, runOpa, opaVersion, REPO_ROOT, type OpaRun } from './opa.js';
export {
  loadPolicySource,
  loadPolicyTestModules,
  bundleRevision,
  buildWasmBundle,
  DEFAULT_WASM_CACHE_DIR,
  type PolicySource,
  type WasmBundle,
} from './bundle.js';
export { GuardedPolicyEngine, FAIL_CLOSED_RULES, type EngineOptions } from './guarded-engine.js';
export {
  OpaWasmPolicyEngine,
  DEFAULT_DATA_PATH,
  mountData,
  type OpaEngineOptions,
} from './wasm-engine.js';
export { OpaServerPolicyEngine } from './server-engine.js';
export { runPolicyTests, type PolicyTestReport, type FileCoverage } from './policy-tests.js';
export { describePolicyRules, type PolicyRule } from './policy-rules.js';
export { reviewAction, MAX_ROUNDS_RULE, type Verdict, type ReviewOptions } from './review.js';
export { spiffeIdOf, type Signer } from './signing.js';
export {
  signVerdict,
  verifyVerdict,
  signApproval,
  verifyApproval,
  isUserSpiffeId,
  VERDICT_JWS_TYPE,
  APPROVAL_JWS_TYPE,
  type SignedVerdict,
  type SignedApproval,
  type VerifiedVerdict,
  type Approval,
  type VerifiedApproval,
} from './verdict.js';
export { policyDataFromSystem, createPolicyEngine, type PolicySystemView } from './system-data.js';

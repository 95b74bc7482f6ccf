import { isAbsolute, resolve } from 'node:path';
import { agentSpiffeIdIn, type SpiffeIdScheme } from '@vigil/registry';
import type { FailClosedDecision, PolicyEngine } from './types.js';
import { OpaWasmPolicyEngine } from './wasm-engine.js';
import { OpaServerPolicyEngine } from './server-engine.js';

/**
 * The parts of a registry `AgentSystem` (`@vigil/registry`) that policy data is made
 * from. Declared structurally so any `AgentSystem` is accepted as is.
 */
export interface PolicySystemView {
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly trustDomain: string;
  readonly identity?: SpiffeIdScheme['identity'];
  readonly agents: readonly {
    readonly name: string;
    readonly role: string;
    readonly autonomy: { readonly autoExecute: readonly string[] };
  }[];
  readonly policy: {
    readonly engine: 'wasm' | 'server';
    readonly serverUrl?: string;
    readonly bundle: string;
    readonly failClosed: FailClosedDecision;
    readonly maxReviewRounds: number;
    readonly escalation: {
      readonly confidenceThreshold: number;
      readonly maxBlastRadius: number;
      readonly alwaysEscalate: {
        readonly namespaces: readonly string[];
        readonly kinds: readonly string[];
        readonly labels: readonly Readonly<Record<string, string>>[];
      };
    };
    /** Optional knobs of the policy itself (vigil.yaml `policy.settings`). */
    readonly settings?: Readonly<Record<string, unknown>>;
  };
}

/**
 * The policy data generated from `vigil.yaml` — the one place thresholds and lists are
 * configured. Mounted at `data.vigil.config`:
 *
 * - `system`: `{ name, namespace, trustDomain }` (the policy refuses actions on Vigil's
 *   own namespace);
 * - `agents`: `{ <name>: { spiffeId, role, autoExecute } }` (who may request, and which
 *   action types may run without a human);
 * - `escalation`: `policy.escalation` as declared (confidence threshold, maximum blast
 *   radius, always-escalate namespaces, kinds and label selectors);
 * - `maxReviewRounds`, `failClosed`;
 * - `settings`: `policy.settings` (policy-specific knobs; the policy holds defaults).
 *
 * Pure and deterministic: the same system gives the same data, hence the same revision.
 */
export function policyDataFromSystem(system: PolicySystemView): Record<string, unknown> {
  const agents: Record<string, unknown> = {};
  for (const agent of system.agents) {
    agents[agent.name] = {
      spiffeId: agentSpiffeIdIn(system, agent.name),
      role: agent.role,
      autoExecute: [...agent.autonomy.autoExecute],
    };
  }
  const e = system.policy.escalation;
  return {
    system: {
      name: system.metadata.name,
      namespace: system.metadata.namespace,
      trustDomain: system.trustDomain,
    },
    agents,
    escalation: {
      confidenceThreshold: e.confidenceThreshold,
      maxBlastRadius: e.maxBlastRadius,
      alwaysEscalate: {
        namespaces: [...e.alwaysEscalate.namespaces],
        kinds: [...e.alwaysEscalate.kinds],
        labels: e.alwaysEscalate.labels.map((selector) => ({ ...selector })),
      },
    },
    maxReviewRounds: system.policy.maxReviewRounds,
    failClosed: system.policy.failClosed,
    settings: structuredClone(system.policy.settings ?? {}),
  };
}

/**
 * The engine `vigil.yaml` asks for (`policy.engine`): wasm in-process, or the OPA server
 * at `policy.serverUrl`, loaded with `policy.bundle` (relative to `baseDir`) and
 * {@link policyDataFromSystem}. Throws the engines' start-up errors.
 */
export async function createPolicyEngine(
  system: PolicySystemView,
  options: {
    entrypoint: string;
    baseDir: string;
    timeoutMs?: number;
    knownActionTypes?: readonly string[];
  },
): Promise<PolicyEngine> {
  const bundleDir = isAbsolute(system.policy.bundle)
    ? system.policy.bundle
    : resolve(options.baseDir, system.policy.bundle);
  const common = {
    bundleDir,
    entrypoint: options.entrypoint,
    data: policyDataFromSystem(system),
    failClosed: system.policy.failClosed,
    timeoutMs: options.timeoutMs,
    knownActionTypes: options.knownActionTypes,
  };
  if (system.policy.engine === 'server') {
    return OpaServerPolicyEngine.create({
      ...common,
      url: system.policy.serverUrl ?? 'http://127.0.0.1:8181',
    });
  }
  return OpaWasmPolicyEngine.create(common);
}

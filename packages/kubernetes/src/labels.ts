import type { AgentSystem } from '@vigil/registry';

/** The identity label: NetworkPolicies, PDBs, Services and Kyverno select agents by it. */
export const AGENT_LABEL = 'vigil.dev/agent';
/** The system label on every rendered object. */
export const SYSTEM_LABEL = 'vigil.dev/system';
/** The component label of non-agent workloads (opa, postgres, nats). */
export const COMPONENT_LABEL = 'vigil.dev/component';

/** Labels of every object the renderer writes. */
export function systemLabels(system: AgentSystem): Record<string, string> {
  return {
    'app.kubernetes.io/managed-by': 'vigil',
    'app.kubernetes.io/part-of': system.metadata.name,
    [SYSTEM_LABEL]: system.metadata.name,
  };
}

/** Labels of one agent's objects (and its pods). */
export function agentLabels(system: AgentSystem, agent: string): Record<string, string> {
  return { ...systemLabels(system), 'app.kubernetes.io/name': agent, [AGENT_LABEL]: agent };
}

/** Labels of a supporting component (opa, postgres, nats). */
export function componentLabels(system: AgentSystem, component: string): Record<string, string> {
  return {
    ...systemLabels(system),
    'app.kubernetes.io/name': component,
    [COMPONENT_LABEL]: component,
  };
}

import { agentSpiffeIdIn } from '@vigil/registry';

/**
 * The part of `@vigil/registry`'s `AgentSystem` the transport reads, declared
 * structurally: any `AgentSystem` is accepted as is. The helpers below follow the
 * registry contract (`spiffeIdOf`, `agentNameFromSpiffeId`, `mayCall`) exactly.
 */
export interface TransportSystem {
  readonly trustDomain: string;
  readonly agents: readonly TransportAgentSpec[];
  /** `metadata.namespace`: part of `service-account` SPIFFE IDs. */
  readonly metadata?: { readonly namespace: string };
  /** `identity.spiffeIds`: the form of agents' SPIFFE IDs; absent means `agent`. */
  readonly identity?: { readonly spiffeIds?: 'agent' | 'service-account' };
}

/** The fields of an `AgentSpec` the transport reads (card generation and admission). */
export interface TransportAgentSpec {
  readonly name: string;
  readonly description: string;
  readonly skills: readonly {
    readonly id: string;
    readonly name: string;
    readonly description: string;
    readonly tags: readonly string[];
  }[];
  readonly calls: readonly string[];
  /** The A2A edge settings (`a2a` in vigil.yaml); absent means the defaults. */
  readonly a2a?: {
    /** Skill called by a message that names none in `vigil.dev/skill`. */
    readonly defaultSkill?: string | undefined;
    /** A2A versions served: "1.0", and "0.3" for the SDK's v0.3 compatibility layer. */
    readonly protocolVersions?: readonly string[];
  };
}

/** The skill a message naming none calls: the declared default, else the only skill. */
export function defaultSkillOf(spec: TransportAgentSpec): string | undefined {
  if (spec.a2a?.defaultSkill) return spec.a2a.defaultSkill;
  return spec.skills.length === 1 ? spec.skills[0]!.id : undefined;
}

/** True when the agent also serves A2A 0.3 peers (the SDK's compatibility layer). */
export function servesV03(spec: TransportAgentSpec): boolean {
  return spec.a2a?.protocolVersions?.includes('0.3') ?? false;
}

/**
 * The agent's SPIFFE ID in the declaration's form: `spiffe://<trustDomain>/agent/<name>`, or
 * `spiffe://<trustDomain>/ns/<namespace>/sa/<name>` with `identity.spiffeIds: service-account`.
 */
export function spiffeIdOf(system: TransportSystem, agentName: string): string {
  return agentSpiffeIdIn(system, agentName);
}

/**
 * The agent named by `id` when it is exactly the SPIFFE ID of a declared agent in the
 * declaration's form; an ID of the other form names no agent (one system, one form).
 */
export function agentNameFromSpiffeId(system: TransportSystem, id: string): string | undefined {
  return system.agents.find((agent) => agentSpiffeIdIn(system, agent.name) === id)?.name;
}

/** True when the registry lets `caller` call `callee` (the callee is in the caller's `calls`). */
export function mayCall(system: TransportSystem, caller: string, callee: string): boolean {
  const spec = system.agents.find((agent) => agent.name === caller);
  return (
    spec !== undefined &&
    spec.calls.includes(callee) &&
    system.agents.some((a) => a.name === callee)
  );
}

/** The spec of `agentName`, or `undefined`. */
export function agentSpec(
  system: TransportSystem,
  agentName: string,
): TransportAgentSpec | undefined {
  return system.agents.find((agent) => agent.name === agentName);
}

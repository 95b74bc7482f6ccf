/**
 * The part of `@vigil/registry`'s `AgentSystem` the transport reads, declared
 * structurally: any `AgentSystem` is accepted as is. The helpers below follow the
 * registry contract (`spiffeIdOf`, `agentNameFromSpiffeId`, `mayCall`) exactly.
 */
export interface TransportSystem {
  readonly trustDomain: string;
  readonly agents: readonly TransportAgentSpec[];
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

/** `spiffe://<trustDomain>/agent/<name>`. */
export function spiffeIdOf(system: TransportSystem, agentName: string): string {
  return `spiffe://${system.trustDomain}/agent/${agentName}`;
}

/** The agent named by `id` when it is an agent SPIFFE ID of this system's trust domain. */
export function agentNameFromSpiffeId(system: TransportSystem, id: string): string | undefined {
  const prefix = `spiffe://${system.trustDomain}/agent/`;
  if (!id.startsWith(prefix)) return undefined;
  const name = id.slice(prefix.length);
  return system.agents.some((agent) => agent.name === name) ? name : undefined;
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

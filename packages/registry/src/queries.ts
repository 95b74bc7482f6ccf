/**
 * Questions the rest of Vigil asks of a loaded system: who is this SPIFFE ID, who may
 * call whom. Answers come from an index built once per system (systems are frozen).
 */
import { RegistryError, REGISTRY_ERROR_CODES } from './errors.js';
import type { AgentSpec, AgentSystem, SpiffeIdForm } from './schema.js';
import { closestMatch } from './suggest.js';

interface SystemIndex {
  readonly byName: ReadonlyMap<string, AgentSpec>;
  readonly bySpiffeId: ReadonlyMap<string, string>;
  readonly callers: ReadonlyMap<string, readonly string[]>;
}

const indexes = new WeakMap<AgentSystem, SystemIndex>();

function indexOf(system: AgentSystem): SystemIndex {
  let index = indexes.get(system);
  if (index === undefined) {
    const byName = new Map(system.agents.map((a) => [a.name, a] as const));
    const bySpiffeId = new Map(
      system.agents.map((a) => [agentSpiffeIdIn(system, a.name), a.name] as const),
    );
    const callers = new Map<string, string[]>(system.agents.map((a) => [a.name, []]));
    for (const a of system.agents) for (const callee of a.calls) callers.get(callee)?.push(a.name);
    index = Object.freeze({ byName, bySpiffeId, callers });
    indexes.set(system, index);
  }
  return index;
}

function unknownAgent(system: AgentSystem, name: string): RegistryError {
  const match = closestMatch(
    name,
    system.agents.map((a) => a.name),
  );
  return new RegistryError(
    REGISTRY_ERROR_CODES.unknownAgent,
    `the system "${system.metadata.name}" declares no agent "${name}"${match === undefined ? '' : ` — did you mean "${match}"?`}`,
  );
}

/** The agent named `name`, or undefined. */
export function findAgent(system: AgentSystem, name: string): AgentSpec | undefined {
  return indexOf(system).byName.get(name);
}

/**
 * The agent named `name`.
 * @throws {RegistryError} `VIGIL_CONFIG_UNKNOWN_AGENT` (with a did-you-mean) when there is none.
 */
export function getAgent(system: AgentSystem, name: string): AgentSpec {
  const agent = findAgent(system, name);
  if (agent === undefined) throw unknownAgent(system, name);
  return agent;
}

/** The parts of a declaration an agent's SPIFFE ID is made of (any `AgentSystem` is one). */
export interface SpiffeIdScheme {
  readonly trustDomain: string;
  readonly metadata?: { readonly namespace: string };
  /** Absent means `spiffeIds: agent`. */
  readonly identity?: { readonly spiffeIds?: SpiffeIdForm };
}

/**
 * `spiffe://<td>/agent/<name>`, or with `identity.spiffeIds: service-account`
 * `spiffe://<td>/ns/<metadata.namespace>/sa/<name>` — the ID csi-driver-spiffe issues to a
 * pod of ServiceAccount `<name>` (cert-manager/csi-driver-spiffe v0.15.0,
 * internal/csi/driver/driver.go `generateRequest`). Does not check that the agent exists.
 * (`@vigil/pki` `agentSpiffeIdIn` is the same function for the PKI, which does not
 * depend on the registry.)
 */
export function agentSpiffeIdIn(system: SpiffeIdScheme, agentName: string): string {
  return system.identity?.spiffeIds === 'service-account'
    ? `spiffe://${system.trustDomain}/ns/${system.metadata?.namespace ?? 'vigil'}/sa/${agentName}`
    : `spiffe://${system.trustDomain}/agent/${agentName}`;
}

/**
 * The SPIFFE ID of an agent in the declaration's form (`identity.spiffeIds`):
 * `spiffe://<trustDomain>/agent/<name>` by default, `spiffe://<trustDomain>/ns/<namespace>/sa/<name>`
 * for `service-account` (what csi-driver-spiffe issues to the agent's pods, whose
 * ServiceAccount is the agent's name).
 * @throws {RegistryError} `VIGIL_CONFIG_UNKNOWN_AGENT` for an undeclared agent.
 */
export function spiffeIdOf(system: AgentSystem, agentName: string): string {
  getAgent(system, agentName);
  return agentSpiffeIdIn(system, agentName);
}

/**
 * The agent a SPIFFE ID names, or undefined when it is not exactly the ID of a declared
 * agent of this trust domain (another trust domain, a user ID, extra path segments, a
 * query or fragment, different case — all undefined). Never throws.
 */
export function agentNameFromSpiffeId(system: AgentSystem, id: string): string | undefined {
  return indexOf(system).bySpiffeId.get(id);
}

/**
 * The agents allowed to call `name`, in declaration order.
 * @throws {RegistryError} `VIGIL_CONFIG_UNKNOWN_AGENT` for an undeclared agent.
 */
export function callersOf(system: AgentSystem, name: string): string[] {
  const callers = indexOf(system).callers.get(name);
  if (callers === undefined) throw unknownAgent(system, name);
  return [...callers];
}

/**
 * The agents `name` may call (its `calls`), in declaration order.
 * @throws {RegistryError} `VIGIL_CONFIG_UNKNOWN_AGENT` for an undeclared agent.
 */
export function calleesOf(system: AgentSystem, name: string): string[] {
  return [...getAgent(system, name).calls];
}

/**
 * Whether `caller` may call `callee`: both declared and `callee` listed in the caller's
 * `calls`. The mTLS admission check; false for anything unknown, never throws.
 */
export function mayCall(system: AgentSystem, caller: string, callee: string): boolean {
  const spec = indexOf(system).byName.get(caller);
  return spec !== undefined && indexOf(system).byName.has(callee) && spec.calls.includes(callee);
}

/**
 * Agent names ordered so that every agent comes after all the agents it calls (callees
 * first): a start order in which each agent's dependencies are already up. Ties keep
 * declaration order. The call graph is a DAG (the loader guarantees it).
 */
export function startOrder(system: AgentSystem): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const visit = (name: string): void => {
    if (done.has(name)) return;
    done.add(name);
    for (const callee of findAgent(system, name)?.calls ?? []) visit(callee);
    order.push(name);
  };
  for (const agent of system.agents) visit(agent.name);
  return order;
}

import type { Logger } from '@vigil/core';
import type { AgentCredentials } from '@vigil/pki';
import type { AgentSpec, AgentSystem } from '@vigil/registry';
import type { AgentClient, SkillCallContext } from '@vigil/transport';

/**
 * What the runtime gives an agent implementation at start-up and to every skill call.
 * Everything here is already validated: the declaration is the frozen registry object,
 * the credentials are the current (possibly rotated) ones.
 */
export interface AgentContext {
  /** The whole declaration (deep-frozen). */
  readonly system: AgentSystem;
  /** This agent's entry of the declaration; agent-specific `settings` are validated by the agent. */
  readonly spec: AgentSpec;
  /** This agent's identity, `spiffe://<trustDomain>/agent/<name>`. */
  readonly spiffeId: string;
  /** Replica index of this process, `0 … spec.replicas - 1`. */
  readonly replica: number;
  /** Absolute state directory (certificates, databases, logs). */
  readonly stateDir: string;
  /**
   * The address this replica's servers bind (`VIGIL_HOST`): 127.0.0.1 as a process, its
   * own address in a container, 0.0.0.0 in a pod. An agent's own listeners default to it.
   */
  readonly host: string;
  /** Structured logger bound to this agent and replica. */
  readonly logger: Logger;
  /** mTLS A2A client for calling the agents listed in `spec.calls`. */
  readonly client: AgentClient;
  /** The current credentials (changes after a rotation; never cache the result). */
  credentials(): AgentCredentials;
}

/** The context of one skill invocation: the transport's call context plus the agent's own. */
export interface AgentSkillContext extends SkillCallContext {
  /** The agent context, as given to `start()`. */
  readonly agent: AgentContext;
}

/** One skill implementation: input is untrusted data, validate it; return the output object. */
export type AgentSkillHandler = (input: unknown, ctx: AgentSkillContext) => Promise<unknown>;

/**
 * What an agent implementation package exports as `agent`
 * (`export const agent: AgentDefinition = { skills: { … } }`).
 *
 * Every skill declared for the agent in `vigil.yaml` must have a handler here; extra
 * handlers are not served. `start` runs before the agent is reported ready (throwing
 * from it ends the process with `VIGIL_RUNTIME_START_FAILED`); `stop` runs after
 * in-flight calls drained on shutdown.
 */
export interface AgentDefinition {
  readonly skills: Readonly<Record<string, AgentSkillHandler>>;
  start?(ctx: AgentContext): Promise<void>;
  stop?(): Promise<void>;
  /**
   * The agent's own status counters, shown under `agentStatus` in the health server's
   * `/readyz` body (no secrets: it is plain HTTP on loopback). Called per probe; keep it cheap.
   */
  status?(): Record<string, unknown> | undefined;
}

/**
 * A demo driver, exported as `demo` by an agent implementation package (or any module
 * named with `vigil up --demo <module>`). `vigil up --demo` runs it once every agent is
 * ready. It knows the agent system; the harness knows nothing of it.
 */
export type DemoDriver = (ctx: DemoContext) => Promise<void>;

/** What the harness offers a {@link DemoDriver}. */
export interface DemoContext {
  readonly system: AgentSystem;
  readonly stateDir: string;
  readonly logger: Logger;
  /** Aborted when the user stops `vigil up` (Ctrl-C); drivers should return promptly. */
  readonly signal: AbortSignal;
  /** Prints one line of the demo's human output. */
  print(line: string): void;
  /**
   * Runs `skill` of one replica of `agent` inside that agent's process, as if called by
   * the local operator (caller name `operator`): the agent's outgoing calls are real mTLS
   * A2A calls. Resolves to the skill output or rejects with the skill's error.
   */
  invoke(
    agent: string,
    skill: string,
    input: unknown,
    opts?: { deadlineMs?: number },
  ): Promise<InvokeResult>;
}

/** The result of {@link DemoContext.invoke}. */
export interface InvokeResult {
  readonly output: unknown;
  /** Pid of the agent process that ran the skill. */
  readonly pid: number;
  /** W3C trace id of the invocation. */
  readonly traceId: string;
  /** Wall time inside the agent, milliseconds. */
  readonly durationMs: number;
}

/** Narrowing check for a value imported as `agent` from an implementation package. */
export function isAgentDefinition(value: unknown): value is AgentDefinition {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  if (typeof v['skills'] !== 'object' || v['skills'] === null) return false;
  if (!Object.values(v['skills'] as Record<string, unknown>).every((h) => typeof h === 'function'))
    return false;
  if (v['start'] !== undefined && typeof v['start'] !== 'function') return false;
  if (v['stop'] !== undefined && typeof v['stop'] !== 'function') return false;
  return true;
}

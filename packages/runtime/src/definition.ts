import type {
  AnySkillContract,
  Logger,
  SkillContract,
  SkillParsedInput,
  SkillResult,
} from '@vigil/core';
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

/**
 * One skill implementation, typed by its contract: `input` is already parsed by the
 * contract's input schema (the runtime refuses a call whose input does not parse, before
 * the handler runs), and the result must be what the output schema accepts (the caller
 * validates it).
 */
export type AgentSkillHandler<C extends AnySkillContract = AnySkillContract> = (
  input: SkillParsedInput<C>,
  ctx: AgentSkillContext,
) => Promise<SkillResult<C>>;

/** A skill an agent serves: its contract and the handler typed by it. */
export interface ImplementedSkill<C extends AnySkillContract = AnySkillContract> {
  readonly contract: C;
  readonly handler: AgentSkillHandler<C>;
}

/**
 * Binds `handler` to `contract`; the handler's input and result are typed by the
 * contract, so a handler that returns the wrong shape does not compile.
 */
export function implementSkill<C extends SkillContract>(
  contract: C,
  handler: AgentSkillHandler<C>,
): ImplementedSkill {
  // The erased form is what the runtime stores; the handler was checked against C above.
  return Object.freeze({ contract, handler: handler as unknown as AgentSkillHandler });
}

/**
 * What an agent implementation package exports as `agent`
 * (`export const agent: AgentDefinition = { skills: [implementSkill(contract, handler)] }`).
 *
 * Every skill declared for the agent in `vigil.yaml` must have an implementation here;
 * extra ones are not served. `start` runs before the agent is reported ready (throwing
 * from it ends the process with `VIGIL_RUNTIME_START_FAILED`); `stop` runs after
 * in-flight calls drained on shutdown.
 */
export interface AgentDefinition {
  readonly skills: readonly ImplementedSkill[];
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
  if (!Array.isArray(v['skills'])) return false;
  if (!(v['skills'] as unknown[]).every(isImplementedSkill)) return false;
  if (v['start'] !== undefined && typeof v['start'] !== 'function') return false;
  if (v['stop'] !== undefined && typeof v['stop'] !== 'function') return false;
  return true;
}

function isImplementedSkill(value: unknown): value is ImplementedSkill {
  if (typeof value !== 'object' || value === null) return false;
  const { contract, handler } = value as { contract?: unknown; handler?: unknown };
  if (typeof handler !== 'function' || typeof contract !== 'object' || contract === null)
    return false;
  const c = contract as { id?: unknown; input?: unknown; output?: unknown };
  return typeof c.id === 'string' && isSchema(c.input) && isSchema(c.output);
}

function isSchema(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { safeParse?: unknown }).safeParse === 'function'
  );
}

import { describeIssues, skillSchemas, type SkillSchemas } from '@vigil/core';
import type { AgentSpec } from '@vigil/registry';
import type { SkillHandler } from '@vigil/transport';
import {
  isAgentDefinition,
  type AgentContext,
  type AgentDefinition,
  type AgentSkillContext,
  type ImplementedSkill,
} from './definition.js';
import { RUNTIME_ERROR_CODES, RuntimeError } from './errors.js';

/**
 * The agent's admission of skill calls: open once ready, closed while draining, with the
 * calls in flight counted so a drain knows when the last one ended.
 */
export interface CallGate {
  phase(): 'starting' | 'ready' | 'draining';
  open(): void;
  /** Refuse new calls from now on. */
  drain(): void;
  inFlight(): number;
  /** Resolves once no call is running. */
  idle(): Promise<void>;
  /** Runs `call` counted in flight. */
  run<T>(call: () => Promise<T>): Promise<T>;
}

/** Creates a {@link CallGate} in phase `starting`. */
export function createCallGate(): CallGate {
  let phase: 'starting' | 'ready' | 'draining' = 'starting';
  let inFlight = 0;
  let idle: (() => void)[] = [];
  return {
    phase: () => phase,
    open: () => void (phase = 'ready'),
    drain: () => void (phase = 'draining'),
    inFlight: () => inFlight,
    idle: () =>
      inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idle.push(resolve)),
    async run<T>(call: () => Promise<T>): Promise<T> {
      inFlight += 1;
      try {
        return await call();
      } finally {
        inFlight -= 1;
        if (inFlight === 0) {
          const waiters = idle;
          idle = [];
          for (const resolve of waiters) resolve();
        }
      }
    },
  };
}

/** Imports `spec.implementation` and checks that it exports `agent: AgentDefinition`. */
export async function importDefinition(spec: AgentSpec): Promise<AgentDefinition> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(spec.implementation)) as Record<string, unknown>;
  } catch (cause) {
    throw new RuntimeError(
      RUNTIME_ERROR_CODES.IMPLEMENTATION_INVALID,
      `agents.${spec.name}.implementation: cannot import "${spec.implementation}": ${(cause as Error).message}`,
      { cause, details: { agent: spec.name, implementation: spec.implementation } },
    );
  }
  const definition = mod['agent'];
  if (!isAgentDefinition(definition)) {
    throw new RuntimeError(
      RUNTIME_ERROR_CODES.IMPLEMENTATION_INVALID,
      `agents.${spec.name}.implementation: "${spec.implementation}" does not export ` +
        '`agent: AgentDefinition` ({ skills: [implementSkill(contract, handler)], start?, stop? })',
      { details: { agent: spec.name, implementation: spec.implementation } },
    );
  }
  return definition;
}

/** The definition's skills by id; one id served twice is a programming error. */
export function implementedSkills(
  definition: AgentDefinition,
  agentName: string,
): Map<string, ImplementedSkill> {
  const byId = new Map<string, ImplementedSkill>();
  for (const skill of definition.skills) {
    if (byId.has(skill.contract.id)) {
      throw new RuntimeError(
        RUNTIME_ERROR_CODES.SKILL_DUPLICATE,
        `agent "${agentName}" implements skill "${skill.contract.id}" twice`,
        { details: { agent: agentName, skill: skill.contract.id } },
      );
    }
    byId.set(skill.contract.id, skill);
  }
  return byId;
}

/**
 * The transport handler of one skill: refuses calls while draining, validates the input
 * by the skill's contract (the callee's side of the contract; the caller validates the
 * output), counts the call in flight.
 */
export function guardSkill(
  { contract, handler }: ImplementedSkill,
  gate: CallGate,
  agent: AgentContext,
): SkillHandler {
  const skill = contract.id;
  const agentName = agent.spec.name;
  return async (input, callContext) => {
    if (gate.phase() === 'draining') {
      throw new RuntimeError(
        RUNTIME_ERROR_CODES.DRAINING,
        `agent "${agentName}" is shutting down`,
        {
          details: { agent: agentName, skill },
        },
      );
    }
    const parsed = contract.input.safeParse(input);
    if (!parsed.success) {
      const problems = describeIssues(parsed.error, 'input');
      throw new RuntimeError(
        RUNTIME_ERROR_CODES.SKILL_INPUT_INVALID,
        `skill "${skill}" of "${agentName}": ${problems.join('; ')}`,
        { details: { agent: agentName, skill, problems } },
      );
    }
    const skillContext: AgentSkillContext = { ...callContext, agent };
    return gate.run(() => handler(parsed.data, skillContext));
  };
}

/**
 * The handlers and schemas served for the declared skills.
 * @throws RuntimeError `VIGIL_RUNTIME_SKILL_MISSING` naming every declared skill without a handler.
 */
export function servedSkills(
  spec: AgentSpec,
  implemented: ReadonlyMap<string, ImplementedSkill>,
  guard: (skill: ImplementedSkill) => SkillHandler,
): { skills: Record<string, SkillHandler>; schemas: Record<string, SkillSchemas> } {
  const skills: Record<string, SkillHandler> = {};
  const schemas: Record<string, SkillSchemas> = {};
  const missing: string[] = [];
  for (const declared of spec.skills) {
    const skill = implemented.get(declared.id);
    if (skill === undefined) missing.push(declared.id);
    else {
      skills[declared.id] = guard(skill);
      schemas[declared.id] = skillSchemas(skill.contract);
    }
  }
  if (missing.length > 0) {
    throw new RuntimeError(
      RUNTIME_ERROR_CODES.SKILL_MISSING,
      `agents.${spec.name}.skills: "${spec.implementation}" has no handler for ${missing.map((m) => `"${m}"`).join(', ')}`,
      { details: { agent: spec.name, missing } },
    );
  }
  return { skills, schemas };
}

/**
 * The implementation of `skill` if the agent declares and implements it.
 * @throws RuntimeError `VIGIL_RUNTIME_UNKNOWN_SKILL` otherwise.
 */
export function declaredSkill(
  spec: AgentSpec,
  implemented: ReadonlyMap<string, ImplementedSkill>,
  skill: string,
): ImplementedSkill {
  const implementation = implemented.get(skill);
  if (implementation === undefined || !spec.skills.some((s) => s.id === skill)) {
    throw new RuntimeError(
      RUNTIME_ERROR_CODES.UNKNOWN_SKILL,
      `agent "${spec.name}" has no skill "${skill}"`,
      { details: { agent: spec.name, skill } },
    );
  }
  return implementation;
}

import { z } from 'zod';

/**
 * A skill's contract, defined once by the agent system and shared by both ends of a call
 * (the way tRPC or ts-rest define a route once for server and client): the callee's
 * handler is typed by it and its input validated against `input`; the caller's call is
 * typed by it and the answer validated against `output`; the agent card publishes both
 * as JSON Schema.
 */
export interface SkillContract<
  Id extends string = string,
  Input extends z.ZodType = z.ZodType,
  Output extends z.ZodType = z.ZodType,
> {
  /** The skill id, as declared under `agents[].skills[].id` in vigil.yaml. */
  readonly id: Id;
  readonly input: Input;
  readonly output: Output;
}

/** Any skill contract (the type parameters erased). */
export type AnySkillContract = SkillContract<string, z.ZodType, z.ZodType>;

/**
 * What a caller passes: the input schema's input type (defaults may be omitted), deeply
 * read-only (a caller may pass read-only data).
 */
export type SkillInput<C extends AnySkillContract> = DeepReadonly<z.input<C['input']>>;
/** What a handler receives: the input schema's output type (parsed, defaults applied). */
export type SkillParsedInput<C extends AnySkillContract> = z.output<C['input']>;
/**
 * What a handler returns: the output schema's input type, deeply read-only (a handler may
 * return read-only data; the wire copies it anyway).
 */
export type SkillResult<C extends AnySkillContract> = DeepReadonly<z.input<C['output']>>;

/** `T` with every array and object member read-only, all the way down. */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer E)[]
    ? readonly DeepReadonly<E>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;
/** What a caller receives: the output schema's output type (parsed at the caller). */
export type SkillOutput<C extends AnySkillContract> = z.output<C['output']>;

const SKILL_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * Defines a skill contract. The id must be a kebab-case skill id (the registry's rule).
 * @throws RangeError on a malformed id (a programming error of the agent system).
 */
export function defineSkill<const Id extends string, I extends z.ZodType, O extends z.ZodType>(
  contract: SkillContract<Id, I, O>,
): SkillContract<Id, I, O> {
  if (!SKILL_ID.test(contract.id))
    throw new RangeError(`skill id "${contract.id}" is not kebab-case ([a-z0-9-], at most 63)`);
  return Object.freeze({ ...contract });
}

/**
 * The skills each agent of a system serves, by agent name: the typed form of the
 * declaration's `agents[].skills`, from which peer and skill names become literal unions.
 */
export type AgentContracts = Readonly<Record<string, readonly AnySkillContract[]>>;

/** Agent names of a contract map. */
export type AgentNameOf<M extends AgentContracts> = Extract<keyof M, string>;
/** The skill ids `peer` serves. */
export type SkillIdOf<M extends AgentContracts, P extends AgentNameOf<M>> = M[P][number]['id'];
/** The contract of skill `S` of `peer`. */
export type ContractOf<
  M extends AgentContracts,
  P extends AgentNameOf<M>,
  S extends SkillIdOf<M, P>,
> = Extract<M[P][number], { readonly id: S }>;

/**
 * Declares which agent serves which skills. Typed as written (`const`), so that
 * `createPeerClient` (in `@vigil/runtime`) can type a call's peer, skill id, input and
 * output from it.
 * @throws RangeError when one agent lists a skill id twice.
 */
export function defineAgentContracts<const M extends AgentContracts>(agents: M): M {
  for (const [agent, skills] of Object.entries(agents)) {
    const seen = new Set<string>();
    for (const skill of skills) {
      if (seen.has(skill.id))
        throw new RangeError(`agent "${agent}" lists skill "${skill.id}" twice`);
      seen.add(skill.id);
    }
  }
  return Object.freeze(agents);
}

/** The JSON Schemas of a contract, as published on an agent card. */
export interface SkillSchemas {
  /** JSON Schema (2020-12) of what a caller sends. */
  readonly input: Record<string, unknown>;
  /** JSON Schema (2020-12) of what the skill answers. */
  readonly output: Record<string, unknown>;
}

/**
 * The contract's schemas as JSON Schema (zod's `toJSONSchema`): the input side of the
 * input schema (what a caller may send, defaults optional) and the output side of the
 * output schema (what a caller receives). Parts JSON Schema cannot express (transforms,
 * custom refinements) become `{}` rather than failing: the card describes, the zod
 * schema decides.
 */
export function skillSchemas(contract: AnySkillContract): SkillSchemas {
  return {
    input: z.toJSONSchema(contract.input, { io: 'input', unrepresentable: 'any' }),
    output: z.toJSONSchema(contract.output, { io: 'output', unrepresentable: 'any' }),
  };
}

/**
 * "path: message" for each issue of a failed parse, for errors that name what and where.
 */
export function describeIssues(error: z.ZodError, root: string): string[] {
  return error.issues.map((issue) => {
    const path = issue.path
      .map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`))
      .join('');
    return `${root}${path}: ${issue.message}`;
  });
}

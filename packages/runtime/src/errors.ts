import { VigilError } from '@vigil/core';

/**
 * Stable codes of `@vigil/runtime`. A supervisor or operator can branch on them
 * (they appear in the agent's last JSON log line and in its IPC `fatal` message).
 */
export const RUNTIME_ERROR_CODES = {
  /** The process environment (`VIGIL_*`) is missing a variable or holds a bad value. */
  ENV_INVALID: 'VIGIL_RUNTIME_ENV_INVALID',
  /** `VIGIL_AGENT` names no agent of the declaration. */
  UNKNOWN_AGENT: 'VIGIL_RUNTIME_UNKNOWN_AGENT',
  /** The implementation package could not be imported or exports no valid `agent`. */
  IMPLEMENTATION_INVALID: 'VIGIL_RUNTIME_IMPLEMENTATION_INVALID',
  /** A skill declared in the registry has no handler in the implementation. */
  SKILL_MISSING: 'VIGIL_RUNTIME_SKILL_MISSING',
  /** The agent's own `start()` threw. */
  START_FAILED: 'VIGIL_RUNTIME_START_FAILED',
  /** A listener (A2A or health) could not be bound. */
  LISTEN_FAILED: 'VIGIL_RUNTIME_LISTEN_FAILED',
  /** An uncaught exception or unhandled rejection ended the process. */
  UNCAUGHT: 'VIGIL_RUNTIME_UNCAUGHT',
  /** A call arrived while the agent drains for shutdown (an idempotent caller retries elsewhere). */
  DRAINING: 'VIGIL_RUNTIME_DRAINING',
  /** An operator invocation named a skill the agent does not serve. */
  UNKNOWN_SKILL: 'VIGIL_RUNTIME_UNKNOWN_SKILL',
  /** A skill call's input does not parse by the skill's contract (refused at the callee). */
  SKILL_INPUT_INVALID: 'VIGIL_RUNTIME_SKILL_INPUT_INVALID',
  /** A skill's answer does not parse by the skill's contract (refused at the caller). */
  SKILL_OUTPUT_INVALID: 'VIGIL_RUNTIME_SKILL_OUTPUT_INVALID',
  /** The implementation serves one skill id twice. */
  SKILL_DUPLICATE: 'VIGIL_RUNTIME_SKILL_DUPLICATE',
  /** In-flight work did not finish within the drain deadline. */
  DRAIN_TIMEOUT: 'VIGIL_RUNTIME_DRAIN_TIMEOUT',
} as const;

/** The one error class of `@vigil/runtime`; `code` is one of {@link RUNTIME_ERROR_CODES}. */
export class RuntimeError extends VigilError {}

import { randomUUID } from 'node:crypto';
import { Role, TaskState, type Message, type Part, type Task } from '@a2a-js/sdk';
import { SKILL_MEDIA_TYPE, SKILL_METADATA_KEY } from './card.js';

/**
 * Skill RPC over A2A (contract): a request is a `Message` (role user) with one
 * DataPart carrying the input and `metadata['vigil.dev/skill']` (what Vigil's client sends;
 * other clients may send text and rely on the default skill, see `parseSkillRequest`); a response is a
 * `Message` (role agent) with one DataPart, or a failed `Task` whose status message
 * holds a DataPart `{ error: { code, message } }`.
 */
export function dataPart(value: unknown): Part {
  return {
    content: { $case: 'data', value: value === undefined ? null : value },
    metadata: undefined,
    filename: '',
    mediaType: SKILL_MEDIA_TYPE,
  };
}

/** A skill request message. */
export function skillRequestMessage(
  skillId: string,
  input: unknown,
  metadata: Record<string, string>,
): Message {
  return {
    messageId: randomUUID(),
    contextId: '',
    taskId: '',
    role: Role.ROLE_USER,
    parts: [dataPart(input)],
    metadata: { ...metadata, [SKILL_METADATA_KEY]: skillId },
    extensions: [],
    referenceTaskIds: [],
  };
}

/**
 * The skill id and input of a request message, or why it is not a skill call. Any A2A
 * client can call a skill: the skill is the one named in `metadata['vigil.dev/skill']`, else
 * `defaultSkill`. The input is the value of the one DataPart; a message of text parts only
 * gives their text joined by newlines, parsed as JSON when it is JSON (so a plain client can
 * send a skill's JSON input as text) and passed as the string otherwise. File parts, and a
 * DataPart mixed with other parts, are refused: a skill takes one input.
 */
export function parseSkillRequest(
  message: Message | undefined,
  defaultSkill: string | undefined,
): { ok: true; skillId: string; input: unknown } | { ok: false; skillId?: string; reason: string } {
  if (!message) return { ok: false, reason: 'no message' };
  const named = message.metadata?.[SKILL_METADATA_KEY] as unknown;
  if (named !== undefined && (typeof named !== 'string' || named === '')) {
    return { ok: false, reason: `message metadata "${SKILL_METADATA_KEY}" must be a skill id` };
  }
  const skillId = (named as string | undefined) ?? defaultSkill;
  if (skillId === undefined) {
    return {
      ok: false,
      reason: `this agent has several skills and no default: name one in message metadata "${SKILL_METADATA_KEY}"`,
    };
  }
  const kinds = message.parts.map((part) => part.content?.$case);
  if (kinds.length === 0) return { ok: false, skillId, reason: 'the message has no parts' };
  if (kinds.every((kind) => kind === 'text')) {
    const text = message.parts
      .map((part) => (part.content?.$case === 'text' ? part.content.value : ''))
      .join('\n');
    return { ok: true, skillId, input: textInput(text) };
  }
  const [part] = message.parts;
  if (message.parts.length === 1 && part?.content?.$case === 'data') {
    return { ok: true, skillId, input: part.content.value as unknown };
  }
  return {
    ok: false,
    skillId,
    reason: `a skill takes one DataPart or text parts (got ${kinds.map((kind) => kind ?? 'empty').join(', ')})`,
  };
}

function textInput(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The agent's answer: one DataPart with the output. */
export function skillResponseMessage(skillId: string, contextId: string, output: unknown): Message {
  return {
    messageId: randomUUID(),
    contextId,
    taskId: '',
    role: Role.ROLE_AGENT,
    parts: [dataPart(output)],
    metadata: { [SKILL_METADATA_KEY]: skillId },
    extensions: [],
    referenceTaskIds: [],
  };
}

/** A failed task carrying a Vigil error code (`error.code`) and a message. */
export function skillFailureTask(
  taskId: string,
  contextId: string,
  skillId: string | undefined,
  error: { code: string; message: string },
): Task {
  const message: Message = {
    messageId: randomUUID(),
    contextId,
    taskId,
    role: Role.ROLE_AGENT,
    parts: [dataPart({ error })],
    metadata: skillId ? { [SKILL_METADATA_KEY]: skillId } : undefined,
    extensions: [],
    referenceTaskIds: [],
  };
  return {
    id: taskId,
    contextId,
    status: { state: TaskState.TASK_STATE_FAILED, message, timestamp: new Date().toISOString() },
    artifacts: [],
    history: [],
    metadata: { 'vigil.dev/error-code': error.code },
  };
}

/** Reads a send-message result: the output, or the remote error of a failed task. */
export function parseSkillResult(
  result: Message | Task,
): { ok: true; output: unknown } | { ok: false; code: string; message: string } {
  if ('messageId' in result) {
    const part = result.parts.length === 1 ? result.parts[0] : undefined;
    if (part?.content?.$case !== 'data') {
      return {
        ok: false,
        code: 'VIGIL_TRANSPORT_BAD_RESPONSE',
        message: 'the response message is not one DataPart',
      };
    }
    return { ok: true, output: part.content.value as unknown };
  }
  const status = result.status;
  const part = status?.message?.parts[0];
  const error =
    part?.content?.$case === 'data'
      ? (part.content.value as { error?: { code?: unknown; message?: unknown } })
      : undefined;
  if (
    status?.state === TaskState.TASK_STATE_FAILED ||
    status?.state === TaskState.TASK_STATE_REJECTED
  ) {
    return {
      ok: false,
      code:
        typeof error?.error?.code === 'string' ? error.error.code : 'VIGIL_TRANSPORT_SKILL_FAILED',
      message:
        typeof error?.error?.message === 'string' ? error.error.message : 'the remote task failed',
    };
  }
  return {
    ok: false,
    code: 'VIGIL_TRANSPORT_BAD_RESPONSE',
    message: `expected a message, got a task in state ${String(status?.state)}`,
  };
}

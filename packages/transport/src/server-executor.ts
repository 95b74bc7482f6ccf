import { SpanKind, SpanStatusCode, context as otelContext, trace } from '@opentelemetry/api';
import {
  AgentEvent,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
  type User,
} from '@a2a-js/sdk/server';
import { isVigilError, type Logger } from '@vigil/core';
import { TRANSPORT_ERROR_CODES, TransportError } from './errors.js';
import { parseSkillRequest, skillFailureTask, skillResponseMessage } from './skill-rpc.js';
import { extractTraceContext, transportTracer } from './trace.js';

/** What a skill handler learns about the call it serves. */
export interface SkillCallContext {
  /** The authenticated caller (from its certificate, admitted by the registry). */
  readonly caller: { readonly name: string; readonly spiffeId: string };
  /** Aborted when the caller goes away or its deadline passes. */
  readonly signal: AbortSignal;
  /** A child logger bound to the caller, skill and trace id. */
  readonly logger: Logger;
  readonly skillId: string;
  /** Trace id of the server span the handler runs in (the caller's trace). */
  readonly traceId: string;
}

/** A skill: input (the request DataPart) to output (the response DataPart). */
export type SkillHandler = (input: unknown, ctx: SkillCallContext) => Promise<unknown>;

/** The A2A `User` the SDK carries to the executor: the admitted caller and its call state. */
export class CallerUser implements User {
  constructor(
    readonly caller: { name: string; spiffeId: string },
    readonly signal: AbortSignal,
    readonly headers: Record<string, string | string[] | undefined>,
  ) {}
  get isAuthenticated(): boolean {
    return true;
  }
  get userName(): string {
    return this.caller.spiffeId;
  }
}

/** Counts the skill calls being served and tells a drain when the last one ends. */
export interface InFlightCalls {
  count(): number;
  /** Resolves once no call is being served. */
  idle(): Promise<void>;
}

/** Settings of {@link createSkillExecutor}. */
export interface SkillExecutorOptions {
  readonly agentName: string;
  readonly selfId: string;
  readonly skills: Readonly<Record<string, SkillHandler>>;
  /** The skill a request naming none is for (an agent with one skill), if any. */
  readonly defaultSkill: string | undefined;
  readonly logger: Logger;
}

/**
 * The A2A executor that dispatches a skill request to its handler: the request parsed
 * (`VIGIL_TRANSPORT_BAD_REQUEST`), the handler found (`…_SKILL_NOT_FOUND`), run in a
 * SERVER span whose parent is the caller's (W3C trace context from headers or message
 * metadata), and its answer or its error published as one message or failed task.
 */
export function createSkillExecutor(options: SkillExecutorOptions): {
  executor: AgentExecutor;
  inFlight: InFlightCalls;
} {
  const { agentName, selfId, skills, defaultSkill, logger: log } = options;
  const tracer = transportTracer();
  let inFlight = 0;
  const idle: (() => void)[] = [];

  const execute = async (request: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const user = request.context.user;
    if (!(user instanceof CallerUser)) {
      // Unreachable: the admission middleware runs before the SDK handler.
      throw new TransportError(
        TRANSPORT_ERROR_CODES.NO_SPIFFE_ID,
        'unauthenticated call reached the executor',
      );
    }
    const parsed = parseSkillRequest(request.request.message, defaultSkill);
    const fail = (skillId: string | undefined, code: string, message: string): void => {
      bus.publish(
        AgentEvent.task(
          skillFailureTask(request.taskId, request.contextId, skillId, { code, message }),
        ),
      );
      bus.finished();
    };
    if (!parsed.ok) {
      fail(parsed.skillId, TRANSPORT_ERROR_CODES.BAD_REQUEST, parsed.reason);
      return;
    }
    const handler = Object.hasOwn(skills, parsed.skillId) ? skills[parsed.skillId] : undefined;
    if (!handler) {
      log.warn(
        {
          code: TRANSPORT_ERROR_CODES.SKILL_NOT_FOUND,
          caller: user.caller.spiffeId,
          skill: parsed.skillId,
        },
        'unknown skill',
      );
      fail(
        parsed.skillId,
        TRANSPORT_ERROR_CODES.SKILL_NOT_FOUND,
        `agent "${agentName}" has no skill "${parsed.skillId}"`,
      );
      return;
    }
    const parent = extractTraceContext(user.headers, request.request.message?.metadata);
    const span = tracer.startSpan(
      `a2a.serve ${parsed.skillId}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'rpc.system': 'a2a',
          'rpc.service': agentName,
          'rpc.method': parsed.skillId,
          'vigil.caller': user.caller.spiffeId,
          'vigil.callee': selfId,
        },
      },
      parent,
    );
    const traceId = span.spanContext().traceId;
    let callLog: Logger | undefined;
    const callLogger = (): Logger =>
      (callLog ??= log.child({ caller: user.caller.spiffeId, skill: parsed.skillId, traceId }));
    inFlight += 1;
    try {
      const output = await otelContext.with(trace.setSpan(parent, span), () =>
        handler(parsed.input, {
          caller: user.caller,
          signal: user.signal,
          // Created on first use: most skills never log, and a pino child per call adds up.
          get logger() {
            return callLogger();
          },
          skillId: parsed.skillId,
          traceId,
        }),
      );
      bus.publish(
        AgentEvent.message(skillResponseMessage(parsed.skillId, request.contextId, output)),
      );
      bus.finished();
      span.setStatus({ code: SpanStatusCode.OK });
    } catch (error) {
      const code = isVigilError(error) ? error.code : 'VIGIL_SKILL_FAILED';
      const message = error instanceof Error ? error.message : String(error);
      span.recordException(error instanceof Error ? error : new Error(message));
      span.setStatus({ code: SpanStatusCode.ERROR, message: code });
      callLogger().warn({ code, err: error }, 'skill failed');
      fail(parsed.skillId, code, message);
    } finally {
      span.end();
      inFlight -= 1;
      if (inFlight === 0) idle.splice(0).forEach((resolve) => resolve());
    }
  };

  return {
    executor: {
      execute,
      cancelTask: async (): Promise<void> => {
        // Skill calls are answered within one request; there is no long-running task to cancel.
      },
    },
    inFlight: {
      count: () => inFlight,
      idle: () =>
        inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idle.push(resolve)),
    },
  };
}

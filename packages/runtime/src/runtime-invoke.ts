import { randomBytes } from 'node:crypto';
import { context, isSpanContextValid, trace, TraceFlags } from '@opentelemetry/api';
import type { Logger } from '@vigil/core';
import type { SkillHandler } from '@vigil/transport';

/** The local operator: who a skill run over IPC (the supervisor's `invoke`) runs as. */
const OPERATOR = Object.freeze({ name: 'operator', spiffeId: 'local:operator' });

/**
 * Runs `handler` (a guarded skill handler) as the local operator in a fresh root trace
 * that the skill's outgoing calls inherit, aborting its signal at `deadlineMs`. A thrown
 * error gets the `traceId` so the caller can report it.
 */
export async function invokeAsOperator(
  handler: SkillHandler,
  skill: string,
  input: unknown,
  opts: { deadlineMs?: number },
  logger: Logger,
): Promise<{ output: unknown; traceId: string; durationMs: number }> {
  const controller = new AbortController();
  const timer =
    opts.deadlineMs === undefined
      ? undefined
      : setTimeout(() => controller.abort(), opts.deadlineMs);
  const begin = performance.now();
  // Without an SDK (no OTLP endpoint) a root span has no ids, so a sampled context with
  // fresh ids stands in: the trace id still reaches every agent and the audit trail.
  const root = trace.getTracer('@vigil/runtime').startSpan(`invoke ${skill}`, { root: true });
  const span = isSpanContextValid(root.spanContext())
    ? root
    : trace.wrapSpanContext({
        traceId: randomBytes(16).toString('hex'),
        spanId: randomBytes(8).toString('hex'),
        traceFlags: TraceFlags.SAMPLED,
      });
  return context.with(trace.setSpan(context.active(), span), async () => {
    const traceId = span.spanContext().traceId;
    try {
      const output = await handler(input, {
        caller: OPERATOR,
        signal: controller.signal,
        logger: logger.child({ skill, traceId }),
        skillId: skill,
        traceId,
      });
      return { output, traceId, durationMs: performance.now() - begin };
    } catch (error) {
      if (typeof error === 'object' && error !== null) Object.assign(error, { traceId });
      throw error;
    } finally {
      clearTimeout(timer);
      span.end();
    }
  });
}

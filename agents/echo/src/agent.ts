import { existsSync } from 'node:fs';
import { trace } from '@opentelemetry/api';
import type { z } from 'zod';
import {
  callPeer,
  implementSkill,
  type AgentContext,
  type AgentDefinition,
  type AgentSkillContext,
  type AgentSkillHandler,
} from '@vigil/runtime';
import { ECHO_SKILLS, type EchoOutput, type RelayOutput } from './contracts.js';
import { EchoError, parseEchoSettings, type EchoSettings } from './settings.js';

let settings: EchoSettings = {};

function traceIdOf(ctx: AgentSkillContext): string | undefined {
  const id = ctx.traceId || trace.getActiveSpan()?.spanContext().traceId;
  return id === undefined || /^0+$/.test(id) ? undefined : id;
}

function waitForFile(path: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (existsSync(path)) {
        clearInterval(timer);
        resolve();
      }
    }, 20);
    signal.addEventListener('abort', () => {
      clearInterval(timer);
      reject(new EchoError('VIGIL_ECHO_ABORTED', 'call aborted while held'));
    });
  });
}

const echo: AgentSkillHandler<typeof ECHO_SKILLS.echo> = async (input, ctx) => {
  const hold = settings.testHooks?.holdEchoUntilFile;
  if (hold !== undefined) await waitForFile(hold, ctx.signal);
  const output: EchoOutput = {
    echo: input,
    agent: ctx.agent.spec.name,
    replica: ctx.agent.replica,
    pid: process.pid,
    caller: { name: ctx.caller.name, spiffeId: ctx.caller.spiffeId },
    ...withTraceId(ctx),
  };
  return output;
};

function withTraceId(ctx: AgentSkillContext): { traceId?: string } {
  const traceId = traceIdOf(ctx);
  return traceId === undefined ? {} : { traceId };
}

function relayTarget(
  input: { to?: string | undefined; message?: unknown },
  agent: AgentContext,
): { to: string; message: z.core.util.JSONType } {
  const to = input.to ?? agent.spec.calls[0];
  if (to === undefined) {
    throw new EchoError(
      'VIGIL_ECHO_NO_CALLEE',
      `agent "${agent.spec.name}" has no callee to relay to (calls is empty)`,
    );
  }
  if (!agent.spec.calls.includes(to)) {
    throw new EchoError(
      'VIGIL_ECHO_NO_CALLEE',
      `relay.to: "${to}" is not in the calls of "${agent.spec.name}" (${agent.spec.calls.join(', ') || 'none'})`,
    );
  }
  return { to, message: (input.message ?? null) as z.core.util.JSONType };
}

const relay: AgentSkillHandler<typeof ECHO_SKILLS.relay> = async (input, ctx) => {
  const { to, message } = relayTarget(input, ctx.agent);
  const begin = performance.now();
  // The callee is chosen at run time (`to`, or the first of `calls`): typed by the contract.
  const reply: EchoOutput = await callPeer(
    ctx.agent.client,
    to,
    ECHO_SKILLS.echo,
    { message, via: ctx.agent.spec.name },
    settings.relayDeadlineMs === undefined ? {} : { deadlineMs: settings.relayDeadlineMs },
  );
  const output: RelayOutput = {
    relayedBy: ctx.agent.spec.name,
    to,
    reply,
    hopMs: performance.now() - begin,
    ...withTraceId(ctx),
  };
  return output;
};

/** Wraps `handler` with the test hooks that target `skill`. */
function withTestHooks<C extends typeof ECHO_SKILLS.echo | typeof ECHO_SKILLS.relay>(
  skill: string,
  handler: AgentSkillHandler<C>,
): AgentSkillHandler<C> {
  return async (input, ctx) => {
    const hooks = settings.testHooks;
    if (hooks?.busyLoopOnSkill === skill) {
      ctx.logger.warn({ skill }, 'test hook: entering a busy loop');
      const forever = Number.POSITIVE_INFINITY;
      while (Date.now() < forever) {
        // spin: the event loop never turns again
      }
    }
    if (hooks?.leakOnSkill === skill) {
      ctx.logger.warn({ skill }, 'test hook: allocating until the heap limit is reached');
      const hoard: number[][] = [];
      for (;;) hoard.push(new Array<number>(1 << 20).fill(hoard.length));
    }
    if (hooks?.allocateOnSkill === skill) {
      const request = (typeof input === 'object' && input !== null ? input : {}) as {
        allocateMiB?: unknown;
        hold?: unknown;
      };
      const mib = typeof request.allocateMiB === 'number' ? request.allocateMiB : 0;
      ctx.logger.warn({ skill, mib }, 'test hook: allocating off-heap memory');
      let held: Buffer | undefined;
      try {
        // One touched allocation: fails at once (RangeError) beyond the data rlimit.
        held = Buffer.alloc(mib * 1024 * 1024, 1);
      } catch (cause) {
        throw new EchoError(
          'VIGIL_ECHO_ALLOCATION_FAILED',
          `cannot allocate ${mib} MiB: ${(cause as Error).message}`,
        );
      }
      if (request.hold === true) {
        await new Promise<never>((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () =>
            reject(new EchoError('VIGIL_ECHO_ABORTED', `released ${held?.length ?? 0} bytes`)),
          ),
        );
      }
      held = undefined;
    }
    if (hooks?.hangOnSkill === skill) {
      ctx.logger.warn({ skill }, 'test hook: hanging until the call is aborted');
      await new Promise<never>((_resolve, reject) =>
        ctx.signal.addEventListener('abort', () =>
          reject(new EchoError('VIGIL_ECHO_ABORTED', 'hung call aborted')),
        ),
      );
    }
    return handler(input, ctx);
  };
}

/**
 * The built-in echo agent. Skills: `echo` (returns its input, who called, and the trace
 * id) and `relay` (calls `echo` on the first agent of its `calls`, or `input.to`, over
 * mutual-TLS A2A — a two-agent system shows one authenticated hop).
 */
export const agent: AgentDefinition = {
  skills: [
    implementSkill(ECHO_SKILLS.echo, withTestHooks('echo', echo)),
    implementSkill(ECHO_SKILLS.relay, withTestHooks('relay', relay)),
  ],
  async start(ctx) {
    settings = parseEchoSettings(ctx.spec.name, ctx.spec.settings);
    if (settings.testHooks !== undefined) {
      ctx.logger.warn(
        { testHooks: settings.testHooks },
        'test hooks are enabled: this agent misbehaves on purpose',
      );
    }
    if (settings.testHooks?.failStart === true) {
      throw new EchoError('VIGIL_ECHO_TEST_FAIL_START', 'test hook failStart: refusing to start');
    }
  },
};

import type { DemoDriver } from '@vigil/runtime';
import type { RelayOutput } from './contracts.js';

const CALLS_PER_AGENT = 3;

/**
 * The harness demo (`vigil up --demo` on an echo system): every echo agent that has a
 * callee relays a few messages to it; each line shows the mTLS hop, its latency and the
 * trace id shared by both agents.
 */
export const demo: DemoDriver = async (ctx) => {
  const relays = ctx.system.agents.filter(
    (a) =>
      a.implementation === '@vigil/echo' &&
      a.calls.length > 0 &&
      a.skills.some((s) => s.id === 'relay'),
  );
  if (relays.length === 0) {
    const hint = ctx.system.agents.find(
      (a) => a.implementation === '@vigil/echo' && a.calls.length > 0,
    );
    ctx.print(
      'demo: no echo agent with a callee and a declared `relay` skill in this system; nothing to show' +
        (hint === undefined ? '' : ` (declare "- id: relay" in the skills of "${hint.name}")`),
    );
    return;
  }
  for (const spec of relays) {
    for (let i = 1; i <= CALLS_PER_AGENT && !ctx.signal.aborted; i += 1) {
      try {
        const r = await ctx.invoke(
          spec.name,
          'relay',
          { message: `hello #${i}` },
          { deadlineMs: 10_000 },
        );
        const out = r.output as RelayOutput;
        const sameTrace = out.reply.traceId === r.traceId ? 'same trace' : 'trace NOT propagated';
        ctx.print(
          `demo: ${out.relayedBy} → ${out.to} (mTLS, caller seen as ${out.reply.caller.spiffeId}) ` +
            `hop ${out.hopMs.toFixed(1)} ms, total ${r.durationMs.toFixed(1)} ms, trace ${r.traceId} (${sameTrace}), ` +
            `answered by pid ${out.reply.pid}`,
        );
      } catch (error) {
        ctx.print(`demo: ${spec.name} relay #${i} failed: ${(error as Error).message}`);
      }
    }
  }
};

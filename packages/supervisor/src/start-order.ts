import type { AgentSystem } from '@vigil/registry';

/**
 * For each agent, the callees whose readiness gates its start ("callees first", following
 * the `calls` graph). If the declaration has a cycle, the edge that closes it is not a
 * gate (agents of a cycle cannot each wait for the other): the DFS drops back-edges.
 */
export function startGates(system: AgentSystem): Map<string, string[]> {
  const calls = new Map(system.agents.map((a) => [a.name, a.calls.filter((c) => c !== a.name)]));
  const gates = new Map<string, string[]>();
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string): void => {
    if (state.get(name) !== undefined) return;
    state.set(name, 'visiting');
    const kept: string[] = [];
    for (const callee of calls.get(name) ?? []) {
      if (!calls.has(callee)) continue; // unknown callee: the registry rejects these
      if (state.get(callee) === 'visiting') continue; // back-edge of a cycle
      visit(callee);
      kept.push(callee);
    }
    gates.set(name, kept);
    state.set(name, 'done');
  };
  for (const a of system.agents) visit(a.name);
  return gates;
}

/**
 * Agents grouped in waves: every agent's gates are in earlier waves. Shutdown walks the
 * waves in reverse (callers stop before their callees, so a caller's in-flight work can
 * still reach its callees while it drains).
 */
export function startWaves(system: AgentSystem): string[][] {
  const gates = startGates(system);
  const wave = new Map<string, number>();
  const depth = (name: string): number => {
    const known = wave.get(name);
    if (known !== undefined) return known;
    const d = Math.max(-1, ...(gates.get(name) ?? []).map(depth)) + 1;
    wave.set(name, d);
    return d;
  };
  const waves: string[][] = [];
  for (const a of system.agents) {
    const d = depth(a.name);
    (waves[d] ??= []).push(a.name);
  }
  return waves.filter((w) => w !== undefined);
}

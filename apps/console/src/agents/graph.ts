/** The call graph of an agent system, from the registry. */

export interface CallEdge {
  readonly from: string;
  readonly to: string;
}

/** Edges of the call graph from each agent's allowed callers, deduplicated and sorted. */
export function callEdges(
  agents: readonly {
    name: string;
    callers?: readonly string[];
    calls?: readonly string[];
  }[],
): CallEdge[] {
  const keys = new Set<string>();
  for (const a of agents) {
    for (const caller of a.callers ?? []) keys.add(`${caller}\u0000${a.name}`);
    for (const callee of a.calls ?? []) keys.add(`${a.name}\u0000${callee}`);
  }
  return [...keys]
    .sort()
    .map((k) => k.split('\u0000') as [string, string])
    .map(([from, to]) => ({ from, to }));
}

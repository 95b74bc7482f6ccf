import type { CallEdge } from '../agents/graph.js';

const SIZE = 420;
const R = 150;

/** Who may call whom (the registry's allowed callers), as a directed graph on a circle. */
export function AgentGraph({
  names,
  edges,
}: {
  names: readonly string[];
  edges: readonly CallEdge[];
}) {
  const at = new Map(
    names.map((n, i) => {
      const angle = (2 * Math.PI * i) / Math.max(1, names.length) - Math.PI / 2;
      return [n, { x: SIZE / 2 + R * Math.cos(angle), y: SIZE / 2 + R * Math.sin(angle) }];
    }),
  );
  return (
    <svg
      viewBox={`0 0 ${SIZE} ${SIZE}`}
      role="img"
      aria-label={`Call graph: ${edges.map((e) => `${e.from} calls ${e.to}`).join('; ') || 'no calls'}`}
      className="graph"
    >
      <defs>
        <marker
          id="arrow"
          viewBox="0 0 10 10"
          refX="10"
          refY="5"
          markerWidth="7"
          markerHeight="7"
          orient="auto-start-reverse"
        >
          <path d="M0,0 L10,5 L0,10 z" className="arrow" />
        </marker>
      </defs>
      {edges.map((e) => {
        const a = at.get(e.from);
        const b = at.get(e.to);
        if (!a || !b) return null;
        // Stop short of the node circle so the arrow head is visible.
        const dx = b.x - a.x;
        const dy = b.y - a.y;
        const len = Math.hypot(dx, dy) || 1;
        const cut = 34 / len;
        return (
          <line
            key={`${e.from}-${e.to}`}
            x1={a.x + dx * cut}
            y1={a.y + dy * cut}
            x2={b.x - dx * cut}
            y2={b.y - dy * cut}
            className="edge"
            markerEnd="url(#arrow)"
          />
        );
      })}
      {names.map((n) => {
        const p = at.get(n)!;
        return (
          <g key={n}>
            <circle cx={p.x} cy={p.y} r={30} className="node" />
            <text x={p.x} y={p.y + 4} textAnchor="middle" className="node-label">
              {n.length > 11 ? `${n.slice(0, 10)}…` : n}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

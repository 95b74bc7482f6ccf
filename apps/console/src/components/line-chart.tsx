import { formatTime } from '../format/time.js';

export interface Series {
  readonly label: string;
  readonly points: readonly { readonly at: number; readonly value: number | null }[];
}

const W = 640;
const H = 200;
const PAD = { left: 40, right: 12, top: 12, bottom: 28 };

/**
 * A ratio (0..1) over time as an SVG line, drawn here rather than by a chart library
 * (a few dozen lines against ~100 KB of JavaScript). The same figures are in a table
 * for screen readers and for anyone who wants the numbers.
 */
export function LineChart({ title, series }: { title: string; series: Series }) {
  const points = series.points.filter((p) => p.value !== null) as { at: number; value: number }[];
  const t0 = points[0]?.at ?? 0;
  const t1 = points.at(-1)?.at ?? 1;
  const x = (at: number) =>
    PAD.left + ((at - t0) / Math.max(1, t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - v) * (H - PAD.top - PAD.bottom);
  const path = points
    .map((p, i) => `${i ? 'L' : 'M'}${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`)
    .join('');
  const latest = points.at(-1)?.value;
  return (
    <figure className="chart">
      <figcaption>
        {title}: {latest === undefined ? 'no data yet' : `${(latest * 100).toFixed(1)} % now`}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title} over time`}>
        {[0, 0.25, 0.5, 0.75, 1].map((v) => (
          <g key={v}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} className="grid" />
            <text x={PAD.left - 6} y={y(v) + 4} textAnchor="end" className="axis">
              {v * 100}%
            </text>
          </g>
        ))}
        {points.length > 0 && (
          <>
            <text x={PAD.left} y={H - 8} className="axis">
              {formatTime(t0).slice(11, 19)}
            </text>
            <text x={W - PAD.right} y={H - 8} textAnchor="end" className="axis">
              {formatTime(t1).slice(11, 19)}
            </text>
          </>
        )}
        <path d={path} className="line" />
        {points.length === 1 && (
          <circle cx={x(t0)} cy={y(points[0]!.value)} r={4} className="dot" />
        )}
      </svg>
      <details>
        <summary>Figures</summary>
        <table>
          <caption className="sr-only">{title}</caption>
          <thead>
            <tr>
              <th scope="col">Time (UTC)</th>
              <th scope="col">{series.label}</th>
            </tr>
          </thead>
          <tbody>
            {series.points.map((p) => (
              <tr key={p.at}>
                <td>{formatTime(p.at)}</td>
                <td>{p.value === null ? '—' : `${(p.value * 100).toFixed(1)} %`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

import { endpoints, type AgentView } from '../api/endpoints.js';
import { callEdges } from '../agents/graph.js';
import { AgentGraph } from '../components/agent-graph.js';
import { LoadState, StateBadge } from '../components/status.js';
import { JsonView, VisibleText } from '../components/visible-text.js';
import { countdown, formatTime } from '../format/time.js';
import { useLoad } from '../hooks/use-load.js';
import { useNow } from '../hooks/use-now.js';

const mib = (bytes: number | null | undefined) =>
  bytes == null ? '—' : `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

function certExpiry(agent: AgentView): number | undefined {
  const notAfter = agent.certificate?.notAfter;
  if (notAfter === undefined) return undefined;
  return typeof notAfter === 'number' ? notAfter : Date.parse(notAfter);
}

/** The registry as it runs: identities, skills, who calls whom, permissions, autonomy and health. */
export function AgentsPage() {
  const agents = useLoad(() => endpoints.agents(), 'agents');
  const now = useNow(5000);
  return (
    <section aria-labelledby="agents-title">
      <h1 id="agents-title">Agents</h1>
      <LoadState loaded={agents} what="agents">
        {({ agents: list }) => (
          <>
            <div className="grid2">
              <div>
                <h2>Call graph</h2>
                <AgentGraph names={list.map((a) => a.name)} edges={callEdges(list)} />
              </div>
              <div>
                <h2>Health</h2>
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Agent</th>
                      <th scope="col">Health</th>
                      <th scope="col">Restarts</th>
                      <th scope="col">Memory</th>
                      <th scope="col">Certificate</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((a) => {
                      const expiry = certExpiry(a);
                      const restarts =
                        a.restarts ?? a.replicas?.reduce((n, r) => n + (r.restarts ?? 0), 0) ?? 0;
                      const memory =
                        a.memoryBytes ??
                        a.replicas?.reduce((n, r) => n + (r.memoryBytes ?? 0), 0) ??
                        null;
                      return (
                        <tr key={a.name}>
                          <th scope="row">{a.name}</th>
                          <td>
                            <StateBadge
                              state={a.health ?? a.replicas?.map((r) => r.state).join(',') ?? '?'}
                            />
                          </td>
                          <td>{restarts}</td>
                          <td>{mib(memory)}</td>
                          <td>
                            {expiry === undefined
                              ? '—'
                              : `${formatTime(expiry)} (${countdown(expiry, now).text})`}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            </div>
            <h2>Registry</h2>
            {list.map((a) => (
              <details key={a.name} className="card">
                <summary>
                  <strong>{a.name}</strong> {a.role && <span className="muted">{a.role}</span>}
                </summary>
                <dl className="facts">
                  <dt>Identity</dt>
                  <dd>
                    <code>
                      <VisibleText value={a.spiffeId} />
                    </code>
                  </dd>
                  <dt>Skills</dt>
                  <dd>
                    {a.skills.map((s) => (typeof s === 'string' ? s : s.id)).join(', ') || '—'}
                  </dd>
                  <dt>Callers</dt>
                  <dd>{a.allowedCallers?.join(', ') || 'none'}</dd>
                  <dt>Calls</dt>
                  <dd>{a.calls?.join(', ') || 'none'}</dd>
                </dl>
                <h3>Permissions</h3>
                <JsonView value={a.permissions ?? []} label={`${a.name} permissions`} />
                <h3>Autonomy</h3>
                <JsonView value={a.autonomy ?? null} label={`${a.name} autonomy`} />
              </details>
            ))}
          </>
        )}
      </LoadState>
    </section>
  );
}

import { endpoints } from '../api/endpoints.js';
import type { AgentView } from '../api/types.js';
import { callEdges } from '../agents/graph.js';
import { AgentGraph } from '../components/agent-graph.js';
import { LoadState, StateBadge } from '../components/status.js';
import { VisibleText } from '../components/visible-text.js';
import { countdown, formatTime } from '../format/time.js';
import { useLoad } from '../hooks/use-load.js';
import { useNow } from '../hooks/use-now.js';

const mib = (bytes: number | null | undefined) =>
  bytes == null ? '—' : `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

function Expiry({ notAfter, now }: { notAfter: string | undefined; now: number }) {
  if (notAfter === undefined) return <>—</>;
  const at = Date.parse(notAfter);
  return (
    <>
      {formatTime(at)} ({countdown(at, now).text})
    </>
  );
}

/** A permission rule as `vigil registry` prints it: verbs on resources (groups). */
function ruleText(rule: AgentView['permissions']['rules'][number]): string {
  const groups = rule.apiGroups.map((g) => (g === '' ? 'core' : g)).join(', ');
  const names = rule.resourceNames ? ` named ${rule.resourceNames.join(', ')}` : '';
  return `${rule.verbs.join(', ')} on ${rule.resources.join(', ')}${names} (${groups})`;
}

function Registry({ agent: a, now }: { agent: AgentView; now: number }) {
  return (
    <details className="card">
      <summary>
        <strong>{a.name}</strong> <span className="muted">{a.role}</span>
      </summary>
      <dl className="facts">
        <dt>Identity</dt>
        <dd>
          <code>
            <VisibleText value={a.spiffeId} />
          </code>
        </dd>
        <dt>Runs</dt>
        <dd>
          {a.implementation} × {a.replicas}
          {a.stateful ? ' (stateful)' : ''}, cpu {a.resources.cpu}, memory {a.resources.memory}
        </dd>
        <dt>Skills</dt>
        <dd>
          {a.skills.length === 0
            ? '—'
            : a.skills.map((s) => (
                <span key={s.id} className="skill">
                  <code>{s.id}</code>
                  {s.description && <span className="muted"> — {s.description}</span>}
                </span>
              ))}
        </dd>
        <dt>Called by</dt>
        <dd>{a.callers.join(', ') || 'nobody (entry point)'}</dd>
        <dt>Calls</dt>
        <dd>{a.calls.join(', ') || 'nobody'}</dd>
        <dt>Permissions</dt>
        <dd>
          <ul className="plain">
            {a.permissions.rules.map((r, i) => (
              <li key={i}>{ruleText(r)}</li>
            ))}
            {a.permissions.rules.length === 0 && <li>no Kubernetes API access</li>}
            <li>tools: {a.permissions.tools.join(', ') || 'none'}</li>
          </ul>
        </dd>
        <dt>Autonomy</dt>
        <dd>
          {a.autonomy.autoExecute.length === 0
            ? 'auto-executes nothing'
            : `auto-executes on a policy allow: ${a.autonomy.autoExecute.join(', ')}`}
        </dd>
      </dl>
      {a.instances.length > 0 && (
        <table>
          <caption>Replicas of {a.name}</caption>
          <thead>
            <tr>
              <th scope="col">Replica</th>
              <th scope="col">State</th>
              <th scope="col">Pid</th>
              <th scope="col">Restarts</th>
              <th scope="col">Memory</th>
              <th scope="col">Certificate served</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            {a.instances.map((r) => (
              <tr key={r.replica}>
                <th scope="row">{r.replica}</th>
                <td>
                  <StateBadge state={r.state} />
                </td>
                <td>{r.pid ?? '—'}</td>
                <td>{r.restarts}</td>
                <td>{mib(r.memoryBytes)}</td>
                <td>
                  <Expiry notAfter={r.certificate?.notAfter} now={now} />
                </td>
                <td>
                  {r.lastError ? (
                    <VisibleText value={`${r.lastError.code}: ${r.lastError.message}`} />
                  ) : (
                    ''
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}

/** The registry as it runs: identities, skills, who calls whom, permissions, autonomy and health. */
export function AgentsPage() {
  const agents = useLoad(() => endpoints.agents(), 'agents');
  const now = useNow(5000);
  return (
    <section aria-labelledby="agents-title">
      <h1 id="agents-title">Agents</h1>
      <LoadState loaded={agents} what="agents">
        {({ agents: list, system, supervisor }) => (
          <>
            <p data-testid="supervisor">
              System <strong>{system.name}</strong>, trust domain <code>{system.trustDomain}</code>:{' '}
              {supervisor === null
                ? 'no supervisor report (not started with vigil up).'
                : supervisor.alive
                  ? `supervisor pid ${supervisor.pid} ${supervisor.state} since ${formatTime(Date.parse(supervisor.startedAt))} (${supervisor.runtime}).`
                  : `supervisor pid ${supervisor.pid} is not running; its last report is of ${formatTime(Date.parse(supervisor.updatedAt))}.`}
            </p>
            <div className="grid2">
              <div>
                <h2>Call graph</h2>
                <AgentGraph names={list.map((a) => a.name)} edges={callEdges(list)} />
              </div>
              <div>
                <h2>Health</h2>
                <table data-testid="agent-health">
                  <thead>
                    <tr>
                      <th scope="col">Agent</th>
                      <th scope="col">Health</th>
                      <th scope="col">Ready</th>
                      <th scope="col">Restarts</th>
                      <th scope="col">Memory</th>
                      <th scope="col">Certificate expires</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((a) => (
                      <tr key={a.name}>
                        <th scope="row">{a.name}</th>
                        <td>
                          <StateBadge state={a.health} />
                        </td>
                        <td>
                          {a.instances.filter((r) => r.state === 'ready').length}/{a.replicas}
                        </td>
                        <td>{a.restarts}</td>
                        <td>
                          {mib(a.memoryBytes)} / {a.resources.memory}
                        </td>
                        <td>
                          <Expiry notAfter={a.certificate?.notAfter} now={now} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </div>
            <h2>Registry</h2>
            {list.map((a) => (
              <Registry key={a.name} agent={a} now={now} />
            ))}
          </>
        )}
      </LoadState>
    </section>
  );
}

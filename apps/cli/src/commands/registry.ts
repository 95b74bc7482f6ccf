import type { Command } from 'commander';
import {
  agentSystemJsonSchema,
  describeSystem,
  getAgent,
  loadAgentSystem,
  type AgentDescription,
  type PermissionRule,
  type SystemDescription,
} from '@vigil/registry';
import { globalOptions, print } from '../context.js';

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '))
    .join('\n');
}

function list(values: readonly string[], empty = '-'): string {
  return values.length === 0 ? empty : values.join(', ');
}

function ms(value: number): string {
  return value % 1000 === 0 ? `${value / 1000}s` : `${value}ms`;
}

function rule(r: PermissionRule): string {
  const groups = r.apiGroups.map((g) => (g === '' ? 'core' : g)).join(', ');
  const names = r.resourceNames === undefined ? '' : ` named ${r.resourceNames.join(', ')}`;
  return `${r.verbs.join(', ')} on ${r.resources.join(', ')}${names} (${groups})`;
}

/** Label/value lines with the labels aligned and multi-line values indented under them. */
function fields(entries: readonly [string, readonly string[]][]): string {
  const width = Math.max(...entries.map(([label]) => label.length));
  return entries
    .flatMap(([label, values]) =>
      (values.length === 0 ? ['-'] : values).map(
        (value, i) => `  ${(i === 0 ? label : '').padEnd(width)}  ${value}`,
      ),
    )
    .join('\n');
}

/** The per-agent block of `vigil registry`. */
export function renderAgent(agent: AgentDescription): string {
  const rp = agent.restartPolicy;
  const skillWidth = Math.max(0, ...agent.skills.map((s) => s.id.length));
  return [
    `${agent.name} — ${agent.role}`,
    ...(agent.description === '' ? [] : [`  ${agent.description}`]),
    fields([
      ['identity', [agent.spiffeId]],
      [
        'runs',
        [`${agent.implementation} × ${agent.replicas}${agent.stateful ? ' (stateful)' : ''}`],
      ],
      [
        'resources',
        [
          `cpu ${agent.resources.cpu}, memory ${agent.resources.memory} (${agent.resources.memoryBytes} bytes)`,
        ],
      ],
      [
        'restart',
        [
          `${rp.policy}, back-off ${ms(rp.initialBackoffMs)}..${ms(rp.maxBackoffMs)}, failed after ${rp.crashLoop.restarts} restarts in ${rp.crashLoop.windowSeconds}s`,
        ],
      ],
      [
        'skills',
        agent.skills.map(
          (s) => `${s.id.padEnd(skillWidth)}  ${s.description === '' ? s.name : s.description}`,
        ),
      ],
      ['calls', [list(agent.calls, 'nobody')]],
      ['called by', [list(agent.callers, 'nobody (entry point)')]],
      [
        'permissions',
        [
          ...agent.permissions.rules.map(rule),
          ...(agent.permissions.rules.length === 0 ? ['no Kubernetes API access'] : []),
          `tools: ${list(agent.permissions.tools, 'none')}`,
        ],
      ],
      [
        'autonomy',
        [
          agent.autonomy.autoExecute.length === 0
            ? 'auto-executes nothing'
            : `auto-executes on a policy allow: ${agent.autonomy.autoExecute.join(', ')}`,
        ],
      ],
      [
        'settings',
        Object.keys(agent.settings).length === 0
          ? ['none (agent defaults)']
          : Object.entries(agent.settings).map(([k, v]) => `${k}: ${JSON.stringify(v)}`),
      ],
    ]),
  ].join('\n');
}

/** The human rendering of `vigil registry`. */
export function renderSystem(d: SystemDescription): string {
  const overview = table([
    ['AGENT', 'ROLE', 'REPLICAS', 'CPU', 'MEMORY', 'CALLS', 'CALLED BY'],
    ...d.agents.map((a) => [
      a.name,
      a.role,
      String(a.replicas),
      a.resources.cpu,
      a.resources.memory,
      list(a.calls),
      list(a.callers),
    ]),
  ]);
  const totalMemory = d.agents.reduce((sum, a) => sum + a.resources.memoryBytes * a.replicas, 0);
  const p = d.policy;
  const esc = p.escalation.alwaysEscalate;
  const store = (s: SystemDescription['storage']['audit']) =>
    s.url === undefined ? s.backend : `${s.backend} ${s.url}`;
  const settings = fields([
    [
      'storage',
      [
        `audit ${store(d.storage.audit)}, checkpoints ${store(d.storage.checkpoints)}, state ${store(d.storage.state)}`,
      ],
    ],
    [
      'policy',
      [
        `${p.engine === 'wasm' ? 'in-process OPA wasm' : `OPA server ${p.serverUrl ?? ''}`}, bundle ${p.bundle}, fail closed to ${p.failClosed}`,
        `verdicts valid ${p.verdictTtlSeconds}s, at most ${p.maxReviewRounds} review rounds, approvals expire after ${p.approvals.ttlSeconds}s`,
        `escalate below confidence ${p.escalation.confidenceThreshold} or above blast radius ${p.escalation.maxBlastRadius}`,
        `always escalate: namespaces ${list(esc.namespaces)}; kinds ${list(esc.kinds)}; labels ${list(
          esc.labels.map((l) =>
            Object.entries(l)
              .map(([k, v]) => `${k}=${v}`)
              .join(','),
          ),
        )}`,
      ],
    ],
    [
      'model',
      [
        d.model.provider === 'offline'
          ? 'offline (deterministic rule-based analyser)'
          : `${d.model.provider} ${d.model.model ?? ''}${d.model.baseUrl === undefined ? '' : ` at ${d.model.baseUrl}`}${d.model.apiKeyEnv === undefined ? '' : `, key in $${d.model.apiKeyEnv}`}, timeout ${ms(d.model.timeoutMs)}`,
      ],
    ],
    [
      'notifications',
      [
        ...d.notifications.channels.map((c) => `${c.name} (${c.type}): ${c.target}`),
        ...(d.notifications.channels.length === 0 ? ['no channels'] : []),
        `${d.notifications.retry.maxAttempts} attempts, ${d.notifications.rateLimit.perMinute}/min per channel (burst ${d.notifications.rateLimit.burst}), de-duplicated over ${d.notifications.dedupWindowSeconds}s`,
      ],
    ],
    [
      'audit',
      [`kept ${d.audit.retentionDays} days, checkpoint every ${d.audit.checkpointEvery} entries`],
    ],
    ['telemetry', [d.telemetry.otlpEndpoint ?? 'no OTLP export']],
  ]);
  return [
    `AgentSystem ${d.name} (${d.apiVersion})${d.source === undefined ? '' : ` from ${d.source}`}`,
    `  namespace ${d.namespace}, trust domain ${d.trustDomain}, ${d.agents.length} agents, ${Math.round(totalMemory / 2 ** 20)}Mi of memory limits`,
    `  start order (callees first): ${d.startOrder.join(', ')}`,
    '',
    overview,
    '',
    ...d.agents.flatMap((a) => [renderAgent(a), '']),
    'settings',
    settings,
  ].join('\n');
}

/** `vigil registry [agent]`: the declared system — agents, identities, call graph, permissions. */
export function registerRegistryCommand(program: Command): void {
  program
    .command('registry')
    .description(
      'validate the declaration and show the system: agents, SPIFFE IDs, skills, callers and callees, permissions, autonomy',
    )
    .argument('[agent]', 'show only this agent')
    .option('--schema', 'print the JSON Schema of vigil.yaml (for editors) and exit')
    .action(async (agentName: string | undefined, flags: { schema?: boolean }, cmd: Command) => {
      if (flags.schema === true) {
        process.stdout.write(`${JSON.stringify(agentSystemJsonSchema(), null, 2)}\n`);
        return;
      }
      const options = globalOptions(cmd);
      // Throws RegistryError VIGIL_CONFIG_*: the CLI prints every problem and exits 2.
      const system = await loadAgentSystem(options.config);
      const description = describeSystem(system);
      if (agentName !== undefined) {
        getAgent(system, agentName); // VIGIL_CONFIG_UNKNOWN_AGENT with a did-you-mean
        const agent = description.agents.find((a) => a.name === agentName);
        print(options, () => renderAgent(agent as AgentDescription), agent);
        return;
      }
      print(options, () => renderSystem(description), description);
    });
}

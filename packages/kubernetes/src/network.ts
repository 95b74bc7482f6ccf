/**
 * NetworkPolicies from `calls`: one call graph, derived once, drives both the policies and
 * the Mermaid rendering, so the picture is the graph the cluster enforces.
 */
import type {
  V1NetworkPolicy,
  V1NetworkPolicyEgressRule,
  V1NetworkPolicyPeer,
} from '@kubernetes/client-node';
import type { AgentSystem } from '@vigil/registry';
import { AGENT_LABEL, COMPONENT_LABEL, agentLabels, systemLabels } from './labels.js';
import { usesKubernetesApi } from './rbac.js';

/** A destination outside the agents: CIDRs and ports, or a component's pods. */
export interface ExternalEdge {
  readonly from: string;
  readonly to: string;
  readonly ports: readonly number[];
  readonly protocol: 'TCP' | 'UDP';
  readonly cidrs?: readonly string[];
  /** Pods of this component in the system namespace (development state, OPA). */
  readonly component?: string;
}

/** Who may reach whom: agent-to-agent edges on the A2A port, and each agent's other egress. */
export interface CallGraph {
  readonly agents: readonly string[];
  /** `[caller, callee]`, sorted. */
  readonly calls: readonly (readonly [string, string])[];
  readonly egress: readonly ExternalEdge[];
}

/** The call graph and dependency edges of `system`, sorted for stable output. */
export function callGraphOf(system: AgentSystem): CallGraph {
  const k = system.kubernetes;
  const agents = system.agents.map((a) => a.name).sort();
  const calls = system.agents
    .flatMap((a) => a.calls.map((c) => [a.name, c] as const))
    .sort((x, y) => `${x[0]}\0${x[1]}`.localeCompare(`${y[0]}\0${y[1]}`));
  const egress: ExternalEdge[] = [];
  for (const agent of [...system.agents].sort((a, b) => a.name.localeCompare(b.name))) {
    const name = agent.name;
    if (usesKubernetesApi(agent) && k.network.apiServer !== undefined) {
      egress.push({
        from: name,
        to: 'kubernetes-api',
        ports: k.network.apiServer.ports,
        protocol: 'TCP',
        cidrs: k.network.apiServer.cidrs,
      });
    }
    for (const e of k.network.egress) {
      if (e.agents !== undefined && !e.agents.includes(name)) continue;
      egress.push({ from: name, to: e.name, ports: e.ports, protocol: e.protocol, cidrs: e.cidrs });
    }
    for (const [store, port] of [
      ['postgres', 5432],
      ['nats', 4222],
    ] as const) {
      const s = k.state[store];
      if (!s.agents.includes(name)) continue;
      if (s.development) {
        egress.push({ from: name, to: store, ports: [port], protocol: 'TCP', component: store });
      } else if (s.cidrs.length > 0) {
        egress.push({
          from: name,
          to: store,
          ports: [s.port ?? port],
          protocol: 'TCP',
          cidrs: s.cidrs,
        });
      }
    }
    if (system.policy.engine === 'server' && k.opaClients.includes(name)) {
      egress.push({ from: name, to: 'opa', ports: [8181], protocol: 'TCP', component: 'opa' });
    }
  }
  return { agents, calls, egress };
}

const DNS_PEER: V1NetworkPolicyPeer = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
  podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
};

function peerOf(edge: ExternalEdge): V1NetworkPolicyPeer[] {
  if (edge.component !== undefined) {
    return [{ podSelector: { matchLabels: { [COMPONENT_LABEL]: edge.component } } }];
  }
  return (edge.cidrs ?? []).map((cidr) => ({ ipBlock: { cidr } }));
}

/**
 * The namespace's NetworkPolicies: default deny of ingress and egress, DNS for every pod,
 * and per agent ingress only from its declared callers on the A2A port (plus the health
 * port for probes and declared external ingress) and egress only to its callees and
 * declared dependencies.
 */
export function renderNetworkPolicies(
  system: AgentSystem,
  graph = callGraphOf(system),
): V1NetworkPolicy[] {
  const namespace = system.metadata.namespace;
  const { a2a, health } = system.kubernetes.ports;
  const probeFrom = system.kubernetes.network.probeCidrs?.map((cidr) => ({ ipBlock: { cidr } }));
  const policies: V1NetworkPolicy[] = [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'vigil-default-deny', namespace, labels: systemLabels(system) },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'vigil-dns', namespace, labels: systemLabels(system) },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [DNS_PEER],
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
        ],
      },
    },
  ];
  for (const name of graph.agents) {
    const callers = graph.calls.filter(([, callee]) => callee === name).map(([caller]) => caller);
    const callees = graph.calls.filter(([caller]) => caller === name).map(([, callee]) => callee);
    const ingress = [
      ...(callers.length === 0
        ? []
        : [
            {
              from: [
                {
                  podSelector: {
                    matchExpressions: [{ key: AGENT_LABEL, operator: 'In', values: callers }],
                  },
                },
              ],
              ports: [{ protocol: 'TCP', port: a2a }],
            },
          ]),
      {
        ...(probeFrom === undefined ? {} : { from: probeFrom }),
        ports: [{ protocol: 'TCP', port: health }],
      },
      ...system.kubernetes.network.ingress
        .filter((e) => e.agents === undefined || e.agents.includes(name))
        .map((e) => ({
          from: e.cidrs.map((cidr) => ({ ipBlock: { cidr } })),
          ports: e.ports.map((port) => ({ protocol: e.protocol, port })),
        })),
    ];
    const egress: V1NetworkPolicyEgressRule[] = [
      ...(callees.length === 0
        ? []
        : [
            {
              to: [
                {
                  podSelector: {
                    matchExpressions: [{ key: AGENT_LABEL, operator: 'In', values: callees }],
                  },
                },
              ],
              ports: [{ protocol: 'TCP', port: a2a }],
            },
          ]),
      ...graph.egress
        .filter((e) => e.from === name)
        .map((e) => ({
          to: peerOf(e),
          ports: e.ports.map((port) => ({ protocol: e.protocol, port })),
        })),
    ];
    policies.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `vigil-agent-${name}`, namespace, labels: agentLabels(system, name) },
      spec: {
        podSelector: { matchLabels: { [AGENT_LABEL]: name } },
        policyTypes: ['Ingress', 'Egress'],
        ingress,
        ...(egress.length === 0 ? {} : { egress }),
      },
    });
  }
  return policies;
}

/** A Mermaid node id for `name`: DNS labels may hold `--`, which Mermaid reads as an edge. */
function mermaidId(prefix: string, name: string): string {
  return `${prefix}_${name.replace(/-/g, '_')}`;
}

/**
 * The call graph as a Mermaid flowchart: agents (boxes), calls on the A2A port (solid
 * arrows) and every other egress the NetworkPolicies open (dotted arrows to cylinders).
 * Built from {@link callGraphOf}, the graph the NetworkPolicies are rendered from.
 */
export function renderMermaid(system: AgentSystem, graph = callGraphOf(system)): string {
  const lines = ['flowchart LR'];
  for (const a of graph.agents) lines.push(`  ${mermaidId('agent', a)}["${a}"]`);
  const externals = [...new Set(graph.egress.map((e) => e.to))].sort();
  for (const x of externals) lines.push(`  ${mermaidId('ext', x)}[("${x}")]`);
  for (const [caller, callee] of graph.calls) {
    lines.push(
      `  ${mermaidId('agent', caller)} -->|"A2A ${system.kubernetes.ports.a2a}"| ${mermaidId('agent', callee)}`,
    );
  }
  for (const e of graph.egress) {
    lines.push(
      `  ${mermaidId('agent', e.from)} -.->|"${e.protocol} ${e.ports.join(',')}"| ${mermaidId('ext', e.to)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

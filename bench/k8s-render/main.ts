/**
 * Kubernetes render at scale: a generated declaration of N agents (default 1,000) — each
 * calling up to two later agents, a third with namespaced RBAC rules, every tenth with a
 * cluster-scoped rule, every fifth with three replicas — rendered, then server-side
 * applied (field manager vigil) to a real kube-apiserver + etcd on loopback with the
 * cert-manager CRDs. Prints objects per kind, render time (first and median of 5) and
 * apply time (sequential, one request per object, as `vigil k8s apply` does).
 *
 *   flock /tmp/vigil-bench.lock node --import tsx bench/k8s-render/main.ts [--agents 1000] [--no-apply]
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { applyObjects, createKubeApiClient, renderSystem } from '@vigil/kubernetes';
import { parseAgentSystem } from '@vigil/registry';
import { startKubeApiServer } from '@vigil/testkit';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const AGENTS = flag('--agents', 1000);
const APPLY = !args.includes('--no-apply');

/** The generated declaration as JSON text (a YAML subset), with the call graph acyclic by construction. */
function declaration(n: number): string {
  const name = (i: number) => `agent-${String(i).padStart(4, '0')}`;
  const agents = Array.from({ length: n }, (_, i) => {
    const calls = [i + 1, i + 7].filter((j) => j < n && (i + j) % 3 !== 0).map(name);
    const rules =
      i % 3 === 0
        ? [
            { apiGroups: [''], resources: ['pods', 'configmaps'], verbs: ['get', 'list', 'watch'] },
            ...(i % 10 === 0 ? [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }] : []),
          ]
        : [];
    return {
      name: name(i),
      role: `Generated ${i}`,
      implementation: '@vigil/echo',
      replicas: i % 5 === 0 ? 3 : 1,
      skills: [{ id: 'echo' }],
      calls,
      resources: { cpu: '100m', memory: '128Mi' },
      permissions: { rules },
    };
  });
  return JSON.stringify({
    apiVersion: 'vigil.dev/v1alpha1',
    kind: 'AgentSystem',
    metadata: { name: 'bench', namespace: 'bench' },
    trustDomain: 'bench.vigil.local',
    agents,
    kubernetes: { network: { apiServer: { cidrs: ['10.96.0.1/32'], ports: [443] } } },
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const text = declaration(AGENTS);
const system = parseAgentSystem(text, 'generated.json');
const times: number[] = [];
let objects: KubernetesObject[] = [];
for (let run = 0; run < 5; run += 1) {
  const begin = performance.now();
  objects = renderSystem(system, { declaration: text });
  times.push(performance.now() - begin);
}
const kinds = new Map<string, number>();
for (const o of objects) kinds.set(o.kind ?? '?', (kinds.get(o.kind ?? '?') ?? 0) + 1);

console.log(
  `vigil k8s render: ${AGENTS} agents, declaration ${(text.length / 1024).toFixed(0)} KiB`,
);
console.log(`objects: ${objects.length}`);
for (const [kind, count] of kinds) console.log(`  ${kind.padEnd(20)} ${count}`);
console.log(
  `render: first ${times[0]?.toFixed(0)} ms, median of 5 ${median(times).toFixed(0)} ms (goal < 2000 ms)`,
);

if (APPLY) {
  const api = await startKubeApiServer({ crds: ['cert-manager'] });
  try {
    const client = createKubeApiClient({ kubeconfig: api.kubeconfigPath });
    const begin = performance.now();
    await applyObjects(client, objects);
    const ms = performance.now() - begin;
    console.log(
      `apply: ${objects.length} objects in ${(ms / 1000).toFixed(1)} s (${((objects.length * 1000) / ms).toFixed(0)} objects/s, sequential server-side apply)`,
    );
  } finally {
    await api.close();
  }
}

/**
 * Supporting workloads: the OPA server (policy.engine server) and the development
 * StatefulSets of PostgreSQL and NATS JetStream. All run with the agents' hardening.
 */
import type { KubernetesObject, V1Container, V1PodSpec } from '@kubernetes/client-node';
import type { AgentSystem } from '@vigil/registry';
import { COMPONENT_LABEL, componentLabels } from './labels.js';
import { POLICY_CONFIG_MAP_NAME } from './policy-bundle.js';

const HARDENED = {
  allowPrivilegeEscalation: false,
  privileged: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

function podSpec(uid: number, container: V1Container, volumes: V1PodSpec['volumes']): V1PodSpec {
  return {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: uid,
      runAsGroup: uid,
      fsGroup: uid,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [{ ...container, securityContext: HARDENED }],
    // An empty list would not read back: the API server drops it.
    ...(volumes === undefined || volumes.length === 0 ? {} : { volumes }),
  };
}

function service(system: AgentSystem, name: string, port: number): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: system.metadata.namespace, labels: componentLabels(system, name) },
    spec: {
      selector: { [COMPONENT_LABEL]: name },
      ports: [{ name, port, targetPort: port, protocol: 'TCP' }],
    },
  } as KubernetesObject;
}

function ingressFrom(
  system: AgentSystem,
  name: string,
  port: number,
  agents: readonly string[],
): KubernetesObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: `vigil-component-${name}`,
      namespace: system.metadata.namespace,
      labels: componentLabels(system, name),
    },
    spec: {
      podSelector: { matchLabels: { [COMPONENT_LABEL]: name } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [
            {
              podSelector: {
                matchExpressions: [
                  { key: 'vigil.dev/agent', operator: 'In', values: [...agents].sort() },
                ],
              },
            },
          ],
          ports: [{ protocol: 'TCP', port }],
        },
      ],
    },
  } as KubernetesObject;
}

/** The OPA server Deployment, Service and NetworkPolicy, serving the policy ConfigMap. */
export function renderOpaServer(system: AgentSystem): KubernetesObject[] {
  const ns = system.metadata.namespace;
  const labels = componentLabels(system, 'opa');
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'opa', namespace: ns, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: { [COMPONENT_LABEL]: 'opa' } },
        template: {
          metadata: { labels },
          spec: podSpec(
            10002,
            {
              name: 'opa',
              image: system.kubernetes.opaImage,
              args: ['run', '--server', '--addr=0.0.0.0:8181', '--disable-telemetry', '/policy'],
              ports: [{ name: 'http', containerPort: 8181 }],
              resources: {
                requests: { cpu: '100m', memory: '128Mi' },
                limits: { cpu: '500m', memory: '256Mi' },
              },
              readinessProbe: { httpGet: { path: '/health', port: 8181 } },
              livenessProbe: { httpGet: { path: '/health', port: 8181 } },
              volumeMounts: [{ name: 'policy', mountPath: '/policy', readOnly: true }],
            },
            [{ name: 'policy', configMap: { name: POLICY_CONFIG_MAP_NAME } }],
          ),
        },
      },
    } as KubernetesObject,
    service(system, 'opa', 8181),
    ingressFrom(system, 'opa', 8181, system.kubernetes.opaClients),
  ];
}

/** The development StatefulSets (and Services, NetworkPolicies) of PostgreSQL and NATS. */
export function renderStateStores(system: AgentSystem): KubernetesObject[] {
  const ns = system.metadata.namespace;
  const out: KubernetesObject[] = [];
  const stores = [
    {
      name: 'postgres',
      port: 5432,
      uid: 70,
      image: 'postgres:16-alpine',
      env: [{ name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' }],
      envFrom: true,
      args: [] as string[],
      mounts: [
        { name: 'data', mountPath: '/var/lib/postgresql/data' },
        { name: 'run', mountPath: '/var/run/postgresql' },
        { name: 'tmp', mountPath: '/tmp' },
      ],
    },
    {
      name: 'nats',
      port: 4222,
      uid: 1000,
      image: 'nats:2.10-alpine',
      env: [],
      envFrom: false,
      args: ['--jetstream', '--store_dir=/data'],
      mounts: [{ name: 'data', mountPath: '/data' }],
    },
  ] as const;
  for (const s of stores) {
    const decl = system.kubernetes.state[s.name];
    if (!decl.development) continue;
    const labels = componentLabels(system, s.name);
    out.push(
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: s.name, namespace: ns, labels },
        spec: {
          serviceName: s.name,
          replicas: 1,
          selector: { matchLabels: { [COMPONENT_LABEL]: s.name } },
          template: {
            metadata: { labels },
            spec: podSpec(
              s.uid,
              {
                name: s.name,
                image: s.image,
                ...(s.args.length === 0 ? {} : { args: [...s.args] }),
                ...(s.env.length === 0 ? {} : { env: [...s.env] }),
                ...(s.envFrom ? { envFrom: [{ secretRef: { name: decl.secretName } }] } : {}),
                ports: [{ name: s.name, containerPort: s.port }],
                resources: {
                  requests: { cpu: '100m', memory: '256Mi' },
                  limits: { cpu: '1', memory: '512Mi' },
                },
                volumeMounts: s.mounts.map((m) => ({ ...m })),
              },
              s.mounts
                .filter((m) => m.name !== 'data')
                .map((m) => ({ name: m.name, emptyDir: {} })),
            ),
          },
          volumeClaimTemplates: [
            {
              metadata: { name: 'data' },
              spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
            },
          ],
        },
      } as KubernetesObject,
      service(system, s.name, s.port),
      ingressFrom(system, s.name, s.port, decl.agents),
    );
  }
  return out;
}

/**
 * Per agent: ServiceAccount, hardened Deployment, Service for its A2A port, a
 * PodDisruptionBudget when it runs more than one replica, and its cert-manager Certificate
 * (unless csi-driver-spiffe delivers its identity: csi-identity.ts).
 */
import type {
  V1Deployment,
  V1KeyToPath,
  V1PodDisruptionBudget,
  V1Service,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import type { AgentSpec, AgentSystem } from '@vigil/registry';
import { spiffeIdOf } from '@vigil/registry';
import { AGENT_GROUP_ID, csiTlsVolume, usesCsiDriverSpiffe } from './csi-identity.js';
import { AGENT_LABEL, agentLabels } from './labels.js';
import { POLICY_CONFIG_MAP_NAME } from './policy-bundle.js';
import { usesKubernetesApi } from './rbac.js';

/** Where the declaration, the certificate Secret and the state directory are mounted. */
export const MOUNTS = {
  config: '/etc/vigil',
  tls: '/var/run/vigil/tls',
  state: '/var/lib/vigil',
} as const;

/** The ConfigMap holding the declaration itself. */
export const CONFIG_MAP_NAME = 'vigil-config';

/** The Secret cert-manager writes an agent's certificate into. */
export function tlsSecretOf(agent: string): string {
  return `vigil-agent-${agent}-tls`;
}

/** A cert-manager Certificate (cert-manager.io/v1); not in the client's model types. */
export interface Certificate {
  apiVersion: 'cert-manager.io/v1';
  kind: 'Certificate';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
}

/** The agent's ServiceAccount; its token is mounted only for agents that use the API. */
export function renderServiceAccount(system: AgentSystem, agent: AgentSpec): V1ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      name: agent.name,
      namespace: system.metadata.namespace,
      labels: agentLabels(system, agent.name),
    },
    automountServiceAccountToken: usesKubernetesApi(agent),
  };
}

/**
 * The agent's Deployment: one container, non-root, read-only root, no capabilities. The
 * declaration and (given `policyItems`) the policy bundle are one projected volume at
 * `/etc/vigil`, so `policy.bundle` resolves beside `vigil.yaml` as it does locally.
 */
export function renderDeployment(
  system: AgentSystem,
  agent: AgentSpec,
  image: string,
  policyItems: readonly V1KeyToPath[] = [],
): V1Deployment {
  const k = system.kubernetes;
  const labels = agentLabels(system, agent.name);
  const quantities = { cpu: agent.resources.cpu, memory: agent.resources.memory };
  const stores = (['postgres', 'nats'] as const).filter((s) =>
    k.state[s].agents.includes(agent.name),
  );
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: agent.name, namespace: system.metadata.namespace, labels },
    spec: {
      replicas: agent.replicas,
      selector: { matchLabels: { [AGENT_LABEL]: agent.name } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: agent.name,
          automountServiceAccountToken: usesKubernetesApi(agent),
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 10001,
            runAsGroup: AGENT_GROUP_ID,
            fsGroup: AGENT_GROUP_ID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: { [AGENT_LABEL]: agent.name } },
            },
          ],
          containers: [
            {
              name: 'agent',
              image,
              imagePullPolicy: k.imagePullPolicy,
              env: [
                { name: 'VIGIL_AGENT', value: agent.name },
                { name: 'VIGIL_CONFIG', value: `${MOUNTS.config}/vigil.yaml` },
                { name: 'VIGIL_STATE_DIR', value: MOUNTS.state },
                { name: 'VIGIL_TLS_DIR', value: MOUNTS.tls },
                // Probes come from the kubelet and peers from their pod IPs, not loopback.
                { name: 'VIGIL_HOST', value: '0.0.0.0' },
                // Peers through their Services (the A2A port is the same for every agent).
                { name: 'VIGIL_PEER_DOMAIN', value: `${system.metadata.namespace}.svc` },
                { name: 'VIGIL_PORT', value: String(k.ports.a2a) },
                { name: 'VIGIL_HEALTH_PORT', value: String(k.ports.health) },
              ],
              ...(stores.length === 0
                ? {}
                : { envFrom: stores.map((s) => ({ secretRef: { name: k.state[s].secretName } })) }),
              ports: [
                { name: 'a2a', containerPort: k.ports.a2a, protocol: 'TCP' },
                { name: 'health', containerPort: k.ports.health, protocol: 'TCP' },
              ],
              resources: { requests: { ...quantities }, limits: { ...quantities } },
              livenessProbe: {
                httpGet: { path: '/livez', port: 'health' },
                periodSeconds: 10,
                timeoutSeconds: 2,
                failureThreshold: 3,
              },
              readinessProbe: {
                httpGet: { path: '/readyz', port: 'health' },
                periodSeconds: 5,
                timeoutSeconds: 2,
                failureThreshold: 2,
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                privileged: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: [
                { name: 'config', mountPath: MOUNTS.config, readOnly: true },
                { name: 'tls', mountPath: MOUNTS.tls, readOnly: true },
                { name: 'state', mountPath: MOUNTS.state },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            {
              name: 'config',
              projected: {
                sources: [
                  { configMap: { name: CONFIG_MAP_NAME } },
                  ...(policyItems.length === 0
                    ? []
                    : [{ configMap: { name: POLICY_CONFIG_MAP_NAME, items: [...policyItems] } }]),
                ],
              },
            },
            // Mounted as a directory (no subPath) so renewals appear in place: cert-manager's
            // Secret, or csi-driver-spiffe's per-pod volume (both swap a `..data` symlink).
            usesCsiDriverSpiffe(system)
              ? csiTlsVolume()
              : { name: 'tls', secret: { secretName: tlsSecretOf(agent.name) } },
            { name: 'state', emptyDir: {} },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  };
}

/** The Service of the agent's A2A port. */
export function renderService(system: AgentSystem, agent: AgentSpec): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: agent.name,
      namespace: system.metadata.namespace,
      labels: agentLabels(system, agent.name),
    },
    spec: {
      selector: { [AGENT_LABEL]: agent.name },
      ports: [
        { name: 'a2a', port: system.kubernetes.ports.a2a, targetPort: 'a2a', protocol: 'TCP' },
      ],
    },
  };
}

/** A PodDisruptionBudget (at most one replica down) for agents with more than one replica. */
export function renderPodDisruptionBudget(
  system: AgentSystem,
  agent: AgentSpec,
): V1PodDisruptionBudget | undefined {
  if (agent.replicas <= 1) return undefined;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: {
      name: agent.name,
      namespace: system.metadata.namespace,
      labels: agentLabels(system, agent.name),
    },
    spec: { maxUnavailable: 1, selector: { matchLabels: { [AGENT_LABEL]: agent.name } } },
  };
}

/** The agent's Certificate: its SPIFFE ID as URI SAN, ECDSA P-256, key rotated on every renewal. */
export function renderCertificate(system: AgentSystem, agent: AgentSpec): Certificate {
  const ns = system.metadata.namespace;
  const c = system.kubernetes.certificates;
  const issuerRef =
    'clusterIssuer' in c.issuer
      ? { name: c.issuer.clusterIssuer, kind: 'ClusterIssuer', group: 'cert-manager.io' }
      : { name: 'vigil-ca', kind: 'Issuer', group: 'cert-manager.io' };
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: {
      name: `vigil-agent-${agent.name}`,
      namespace: ns,
      labels: agentLabels(system, agent.name),
    },
    spec: {
      secretName: tlsSecretOf(agent.name),
      uris: [spiffeIdOf(system, agent.name)],
      dnsNames: [`${agent.name}.${ns}.svc`, `${agent.name}.${ns}.svc.cluster.local`],
      duration: c.duration,
      renewBefore: c.renewBefore,
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always', encoding: 'PKCS8' },
      usages: ['digital signature', 'key encipherment', 'server auth', 'client auth'],
      issuerRef,
    },
  };
}

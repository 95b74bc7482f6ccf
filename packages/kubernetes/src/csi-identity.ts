/**
 * Identity through csi-driver-spiffe (`kubernetes.certificates.provider: csi-driver-spiffe`):
 * instead of a cert-manager Certificate and its Secret, each agent pod mounts an ephemeral
 * CSI volume that the driver fills with a key it generated on the node and a certificate a
 * cert-manager issuer signed for `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`,
 * renewed in place for the pod's life.
 *
 * What is taken from the driver (cert-manager/csi-driver-spiffe v0.15.0, commit
 * dde88bac4da64847c5bc6ff155b771408139f939): the driver name `spiffe.csi.cert-manager.io`
 * and the `spiffe.csi.cert-manager.io/fs-group` volume attribute (README,
 * deploy/example/fs-group-app.yaml); the files `tls.crt`, `tls.key` and — only when the
 * driver is installed with `app.driver.sourceCABundle` — `ca.crt`
 * (internal/csi/driver/driver.go `writeKeypair`); the ID form (`generateRequest`). The
 * driver creates each CertificateRequest with the pod's own ServiceAccount token (CSI token
 * request, audience ""), so that ServiceAccount must be allowed to create
 * CertificateRequests in its namespace (deploy/example/example-app.yaml); the driver's own
 * approver then approves only a request whose URI SAN is the requester's own ServiceAccount.
 */
import type { V1Role, V1RoleBinding, V1Volume } from '@kubernetes/client-node';
import type { AgentSystem } from '@vigil/registry';
import { systemLabels } from './labels.js';

/** The CSI driver name csi-driver-spiffe registers. */
export const CSI_DRIVER_SPIFFE = 'spiffe.csi.cert-manager.io';

/** The Role and RoleBinding that let the agents' pods obtain their SVIDs from the driver. */
export const CSI_IDENTITY_RBAC_NAME = 'vigil-csi-driver-spiffe';

/** The group the rendered pods run as (`securityContext.runAsGroup`, `fsGroup`). */
export const AGENT_GROUP_ID = 10001;

/** True when the declaration has csi-driver-spiffe deliver the agents' certificates. */
export function usesCsiDriverSpiffe(system: AgentSystem): boolean {
  return system.kubernetes.certificates.provider === 'csi-driver-spiffe';
}

/**
 * The pod volume `tls`: the driver's ephemeral volume, its files group-owned by the pod's
 * group so the non-root agent can read its key (the driver writes them 0440 for that group
 * when the attribute is set).
 */
export function csiTlsVolume(): V1Volume {
  return {
    name: 'tls',
    csi: {
      driver: CSI_DRIVER_SPIFFE,
      readOnly: true,
      volumeAttributes: { [`${CSI_DRIVER_SPIFFE}/fs-group`]: String(AGENT_GROUP_ID) },
    },
  };
}

/**
 * One Role allowing `create` on `certificaterequests.cert-manager.io` in the system's
 * namespace — nothing else: not get, list, update or delete — and one RoleBinding granting
 * it to every agent's ServiceAccount. The agent processes never use it (their token is not
 * mounted unless their own rules need the API); the kubelet hands the token to the driver.
 */
export function renderCsiIdentityRbac(system: AgentSystem): [V1Role, V1RoleBinding] {
  const namespace = system.metadata.namespace;
  const metadata = { name: CSI_IDENTITY_RBAC_NAME, namespace, labels: systemLabels(system) };
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata,
      rules: [
        { apiGroups: ['cert-manager.io'], resources: ['certificaterequests'], verbs: ['create'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { ...metadata, labels: { ...metadata.labels } },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: CSI_IDENTITY_RBAC_NAME,
      },
      subjects: system.agents.map((a) => ({ kind: 'ServiceAccount', name: a.name, namespace })),
    },
  ];
}

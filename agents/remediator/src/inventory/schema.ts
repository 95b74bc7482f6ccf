import { z } from 'zod';

/**
 * The inventory format: what the remediator knows about a cluster to plan actions and
 * compute their blast radius. One zod schema serves the YAML file the dry-run executor
 * loads (`examples/soc-demo/inventory.yaml`) and the snapshot the Kubernetes reader
 * builds from the API. See docs/remediator.md, "Inventory format".
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const dnsLabelSchema = z
  .string()
  .max(63)
  .regex(DNS_LABEL, 'a DNS-1123 label: lower-case letters, digits and "-", at most 63');
export const dnsSubdomainSchema = z
  .string()
  .max(253)
  .regex(DNS_SUBDOMAIN, 'a DNS-1123 subdomain: lower-case letters, digits, "-" and "."');

const labelsSchema = z.record(z.string(), z.string()).default({});

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;
export const workloadKindSchema = z.enum(WORKLOAD_KINDS);
export type WorkloadKind = z.infer<typeof workloadKindSchema>;

export const labelSelectorRequirementSchema = z.object({
  key: z.string().min(1),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: z.array(z.string()).optional(),
});

/** A Kubernetes `LabelSelector` (`matchLabels` AND `matchExpressions`). `{}` selects everything. */
export const labelSelectorSchema = z.object({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z.array(labelSelectorRequirementSchema).optional(),
});
export type LabelSelector = z.infer<typeof labelSelectorSchema>;

export const namespaceRecordSchema = z.object({
  name: dnsLabelSchema,
  labels: labelsSchema,
});

export const workloadRecordSchema = z.object({
  kind: workloadKindSchema,
  namespace: dnsLabelSchema,
  name: dnsSubdomainSchema,
  /** Desired replicas (`spec.replicas`); for a DaemonSet, the number of scheduled pods. */
  replicas: z.number().int().min(0),
  labels: labelsSchema,
  /** `spec.selector.matchLabels`. */
  selector: z.record(z.string(), z.string()).default({}),
  serviceAccount: z.string().optional(),
  uid: z.string().optional(),
});

export const ownerRefSchema = z.object({
  kind: z.string().min(1),
  name: z.string().min(1),
});

export const podRecordSchema = z.object({
  namespace: dnsLabelSchema,
  name: dnsSubdomainSchema,
  uid: z.string().optional(),
  /** The controlling workload, ReplicaSets collapsed into their Deployment; absent for a bare pod. */
  owner: ownerRefSchema.optional(),
  node: z.string().optional(),
  labels: labelsSchema,
  ips: z.array(z.string()).default([]),
  serviceAccount: z.string().default('default'),
  /** NetworkPolicies do not apply to host-network pods. */
  hostNetwork: z.boolean().default(false),
  phase: z.string().default('Running'),
});

export const nodeRecordSchema = z.object({
  name: dnsSubdomainSchema,
  labels: labelsSchema,
  unschedulable: z.boolean().default(false),
  addresses: z.array(z.string()).default([]),
  uid: z.string().optional(),
});

export const serviceAccountRecordSchema = z.object({
  namespace: dnsLabelSchema,
  name: dnsSubdomainSchema,
  uid: z.string().optional(),
  labels: labelsSchema,
  /** Long-lived legacy token Secrets (`kubernetes.io/service-account-token`) for this account. */
  tokenSecrets: z.array(dnsSubdomainSchema).default([]),
});

export const userRecordSchema = z.object({
  /** Identity-provider user name as it appears in audit events (`alice@example.com`). */
  name: z.string().min(1),
  groups: z.array(z.string()).default([]),
  disabled: z.boolean().default(false),
});

const networkPolicyPeerSchema = z
  .object({
    podSelector: labelSelectorSchema.optional(),
    namespaceSelector: labelSelectorSchema.optional(),
    ipBlock: z.object({ cidr: z.string(), except: z.array(z.string()).optional() }).optional(),
  })
  .loose();

const networkPolicyRuleSchema = z
  .object({
    from: z.array(networkPolicyPeerSchema).optional(),
    to: z.array(networkPolicyPeerSchema).optional(),
    ports: z.array(z.record(z.string(), z.unknown())).optional(),
  })
  .loose();

/** A NetworkPolicy as the API holds it (spec fields), whoever created it. */
export const networkPolicyRecordSchema = z.object({
  namespace: dnsLabelSchema,
  name: dnsSubdomainSchema,
  labels: labelsSchema,
  podSelector: labelSelectorSchema.default({}),
  policyTypes: z.array(z.enum(['Ingress', 'Egress'])).default(['Ingress']),
  ingress: z.array(networkPolicyRuleSchema).default([]),
  egress: z.array(networkPolicyRuleSchema).default([]),
});

export const inventoryDocumentSchema = z.object({
  apiVersion: z.literal('vigil.dev/v1alpha1'),
  kind: z.literal('Inventory'),
  metadata: z
    .object({ name: z.string().min(1) })
    .loose()
    .default({ name: 'inventory' }),
  namespaces: z.array(namespaceRecordSchema).default([]),
  nodes: z.array(nodeRecordSchema).default([]),
  workloads: z.array(workloadRecordSchema).default([]),
  pods: z.array(podRecordSchema).default([]),
  serviceAccounts: z.array(serviceAccountRecordSchema).default([]),
  users: z.array(userRecordSchema).default([]),
  networkPolicies: z.array(networkPolicyRecordSchema).default([]),
});

export type InventoryDocument = z.infer<typeof inventoryDocumentSchema>;
export type InventoryDocumentInput = z.input<typeof inventoryDocumentSchema>;
export type NamespaceRecord = z.infer<typeof namespaceRecordSchema>;
export type WorkloadRecord = z.infer<typeof workloadRecordSchema>;
export type PodRecord = z.infer<typeof podRecordSchema>;
export type NodeRecord = z.infer<typeof nodeRecordSchema>;
export type ServiceAccountRecord = z.infer<typeof serviceAccountRecordSchema>;
export type UserRecord = z.infer<typeof userRecordSchema>;
export type NetworkPolicyRecord = z.infer<typeof networkPolicyRecordSchema>;

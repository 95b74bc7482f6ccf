/**
 * The `kubernetes:` section of `vigil.yaml`: what `vigil k8s render` needs beyond the agents
 * themselves — the image, the ports, the certificate issuer and lifetimes, and the network
 * dependencies that NetworkPolicies must open (declared as CIDRs and ports, because the
 * manifests must not guess where PostgreSQL or a model endpoint lives). Everything has a
 * default, so a declaration without the section still renders.
 */
import { z } from 'zod';

const port = z.number().int().min(1).max(65_535);

/** Go durations as cert-manager takes them (`2160h`, `90m`, `1h30m`): hours, minutes, seconds. */
const GO_DURATION = /^(?=\d)(\d+h)?(\d+m)?(\d+s)?$/;

/** Seconds in a `GO_DURATION` string (validated first). */
export function goDurationSeconds(value: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (m === null) return Number.NaN;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

const goDuration = z
  .string()
  .regex(GO_DURATION, 'must be a duration in hours, minutes and seconds, e.g. 24h or 1h30m');

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

const cidr = z.string().superRefine((value, ctx) => {
  const m = IPV4_CIDR.exec(value);
  const ok = m !== null && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5] ?? 99) <= 32;
  const v6 = /^[0-9a-fA-F:]+\/\d{1,3}$/.test(value) && value.includes(':');
  if (!ok && !v6) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a CIDR (e.g. 10.0.0.0/16)` });
  }
});

const agentList = z.array(z.string().min(1));

/** A network peer outside the agents: who may reach it (all agents when omitted) and where it is. */
const endpoint = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label'),
  cidrs: z.array(cidr).min(1),
  ports: z.array(port).min(1),
  protocol: z.enum(['TCP', 'UDP']).default('TCP'),
  /** Agents this applies to; every agent when omitted. */
  agents: agentList.optional(),
});

const stateStore = (secretName: string) =>
  z
    .strictObject({
      /** The Secret the operator supplies (connection settings, password); never rendered. */
      secretName: z.string().min(1).default(secretName),
      /** Render a single-replica development StatefulSet and its Service. Not for production. */
      development: z.boolean().default(false),
      /** Where it lives when not the development StatefulSet (egress is opened to it). */
      cidrs: z.array(cidr).default([]),
      port: port.optional(),
      /** Agents that use it (get the Secret and the egress); none when omitted. */
      agents: agentList.default([]),
    })
    .prefault({});

const issuer = z.union([
  z.strictObject({
    /** A cert-manager CA Issuer over this Secret (`tls.crt`, `tls.key`) the operator supplies. */
    caSecret: z.string().min(1),
  }),
  z.strictObject({
    /** An existing cert-manager ClusterIssuer. */
    clusterIssuer: z.string().min(1),
  }),
]);

/** The `kubernetes:` section (docs/kubernetes.md). */
export const kubernetesSchema = z
  .strictObject({
    /** The agent image; a later release pins it by digest. Overridable at render time. */
    image: z.string().min(1).default('ghcr.io/vigil-dev/vigil:0.1.0'),
    imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
    opaImage: z.string().min(1).default('openpolicyagent/opa:1.10.1-static'),
    ports: z.strictObject({ a2a: port.default(8443), health: port.default(8080) }).prefault({}),
    certificates: z
      .strictObject({
        /**
         * Who puts each agent's certificate in its pod: `cert-manager` (a Certificate per
         * agent, its Secret mounted) or `csi-driver-spiffe` (an ephemeral CSI volume the
         * driver fills per pod; needs `identity.spiffeIds: service-account`).
         */
        provider: z.enum(['cert-manager', 'csi-driver-spiffe']).default('cert-manager'),
        issuer: issuer.default({ caSecret: 'vigil-ca' }),
        duration: goDuration.default('24h'),
        renewBefore: goDuration.default('8h'),
      })
      .prefault({})
      .superRefine((c, ctx) => {
        if (typeof c.duration !== 'string' || typeof c.renewBefore !== 'string') return;
        if (goDurationSeconds(c.renewBefore) >= goDurationSeconds(c.duration)) {
          ctx.addIssue({
            code: 'custom',
            path: ['renewBefore'],
            message: `must be shorter than duration (${c.duration})`,
          });
        }
      }),
    network: z
      .strictObject({
        /** The Kubernetes API server, opened to agents that declare RBAC rules. */
        apiServer: z
          .strictObject({ cidrs: z.array(cidr).min(1), ports: z.array(port).min(1) })
          .optional(),
        /** Egress endpoints (model endpoint, notification endpoints, …). */
        egress: z.array(endpoint).default([]),
        /** Ingress from outside the system (event shippers, the console). */
        ingress: z.array(endpoint).default([]),
        /** Where kubelet probes come from; any source when omitted. */
        probeCidrs: z.array(cidr).optional(),
      })
      .prefault({}),
    state: z
      .strictObject({ postgres: stateStore('vigil-postgres'), nats: stateStore('vigil-nats') })
      .prefault({}),
    /** Agents that query the OPA server Deployment (policy.engine server). */
    opaClients: agentList.default([]),
    /** Kyverno ClusterPolicies to render, a directory relative to the declaration. */
    kyvernoPolicies: z.string().min(1).optional(),
  })
  .prefault({});

/**
 * Every agent name the raw `kubernetes:` section refers to, with its path, so the
 * cross-reference check can report unknown agents where they are written.
 */
export function kubernetesAgentReferences(raw: unknown): { path: PropertyKey[]; name: string }[] {
  const refs: { path: PropertyKey[]; name: string }[] = [];
  const at = (value: unknown, path: PropertyKey[]): void => {
    if (!Array.isArray(value)) return;
    value.forEach((name: unknown, i) => {
      if (typeof name === 'string') refs.push({ path: [...path, i], name });
    });
  };
  const obj = (value: unknown): Record<string, unknown> | undefined =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  const k8s = obj(obj(raw)?.['kubernetes']);
  if (k8s === undefined) return refs;
  at(k8s['opaClients'], ['kubernetes', 'opaClients']);
  const network = obj(k8s['network']);
  for (const direction of ['egress', 'ingress'] as const) {
    const list = network?.[direction];
    if (!Array.isArray(list)) continue;
    list.forEach((entry: unknown, i) =>
      at(obj(entry)?.['agents'], ['kubernetes', 'network', direction, i, 'agents']),
    );
  }
  const state = obj(k8s['state']);
  for (const store of ['postgres', 'nats'] as const) {
    at(obj(state?.[store])?.['agents'], ['kubernetes', 'state', store, 'agents']);
  }
  return refs;
}

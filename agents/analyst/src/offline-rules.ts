/**
 * The offline analyser's own rules: deterministic matches of well-known Kubernetes attack
 * patterns on the normalised event of a finding, each mapped to a MITRE ATT&CK technique
 * with a severity, a confidence and catalogue responses. They judge forest-only findings
 * and corroborate the detector's rule hits (see `offline-analyser.ts`).
 */
import type { ActionType, Severity } from '@vigil/soc';

export interface AnalysisRule {
  readonly id: string;
  readonly technique: string;
  readonly severity: Severity;
  /** Confidence of this rule alone, before the detector score is taken into account. */
  readonly confidence: number;
  readonly responses: readonly ActionType[];
  readonly matches: (event: NormalisedEventView) => string | undefined;
  /** The severity for this event when it depends on what matched; default `severity`. */
  readonly severityOf?: (event: NormalisedEventView) => Severity;
}

/** The fields of `SecurityEvent` the rules read (the finding carries the event as JSON). */
export interface NormalisedEventView {
  readonly format?: string;
  readonly classUid?: number;
  readonly activity?: string;
  readonly rule?: string;
  readonly tags?: readonly string[];
  readonly actor?: {
    user?: string;
    groups?: readonly string[];
    sourceIp?: string;
    claimedSourceIps?: readonly string[];
    impersonatedUser?: string;
  };
  readonly resource?: { type?: string; subresource?: string; name?: string; namespace?: string };
  readonly process?: { name?: string; cmdline?: string };
  readonly network?: { dstIp?: string; dstPort?: number };
  readonly outcome?: { code?: number };
  /** The inner audit event's request object, whatever cloud wrapper carried it. */
  readonly requestObject?: unknown;
  readonly responseObject?: unknown;
  readonly requestUri?: string;
  readonly signal?: string;
  readonly raw?: unknown;
}

const MINER_PROCESS =
  /\b(xmrig|minerd|cpuminer|ccminer|ethminer|t-rex|nbminer|kdevtmpfsi|kinsing)\b/i;
const MINING_PORTS = new Set([3333, 4444, 5555, 7777, 14444, 45700]);
const SHELLS = /^(sh|bash|ash|dash|zsh|ksh)$/;

/**
 * What a request asked for, as a person reads it: `get secrets shop/db` for a resource,
 * `get /version` for a non-resource URL (which has no resource type).
 */
function requested(e: NormalisedEventView): string {
  const r = e.resource;
  const what = r?.type
    ? [
        `${r.type}${r.subresource ? `/${r.subresource}` : ''}`,
        r.name
          ? `${r.namespace ? `${r.namespace}/` : ''}${r.name}`
          : r.namespace
            ? `in ${r.namespace}`
            : '',
      ]
        .filter(Boolean)
        .join(' ')
    : (e.requestUri ?? 'an unnamed resource');
  return `${e.activity ?? 'request'} ${what}`;
}

/** The client-claimed (X-Forwarded-For) addresses, shown as claims beside the observed one. */
function claimedSuffix(claimed: readonly string[] | undefined): string {
  return claimed && claimed.length > 0 ? ` (client claims ${claimed.join(', ')})` : '';
}

const CONTROL_PLANE_USERS = new Set([
  'system:kube-controller-manager',
  'system:kube-scheduler',
  'system:apiserver',
  'system:addon-manager',
  'system:kube-proxy',
]);

/**
 * Kubelets, the control plane and its kube-system controllers: their secret reads and token
 * requests are the cluster running itself, not credential theft.
 */
export function isControlPlane(actor: NormalisedEventView['actor']): boolean {
  const user = actor?.user ?? '';
  return (
    CONTROL_PLANE_USERS.has(user) ||
    user.startsWith('system:node:') ||
    user.startsWith('system:serviceaccount:kube-system:') ||
    user.startsWith('eks:') ||
    (actor?.groups?.includes('system:nodes') ?? false)
  );
}

/** Health and version endpoints that load balancers and probes poll anonymously by design. */
const HEALTH_PATH = /^\/(healthz|livez|readyz|version)([/?]|$)/;

type Json = Record<string, unknown>;
const asObject = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * The request object of the event: the normalised `requestObject` (the inner audit event's,
 * for EKS/AKS/GKE deliveries too), else a native event's `raw.requestObject`.
 */
function requestObjectOf(e: NormalisedEventView): Json | undefined {
  return asObject(e.requestObject) ?? asObject(asObject(e.raw)?.['requestObject']);
}

/** The pod spec of a Pod, a workload template or a CronJob's job template. */
function podSpecOf(request: Json | undefined): Json | undefined {
  const spec = asObject(request?.['spec']);
  const template = asObject(asObject(spec?.['template'])?.['spec']);
  const job = asObject(
    asObject(asObject(asObject(spec?.['jobTemplate'])?.['spec'])?.['template'])?.['spec'],
  );
  return template ?? job ?? spec;
}

const SENSITIVE_HOST_PATH =
  /^\/(|etc|proc|root|home|boot|dev|sys|var\/lib\/kubelet|var\/lib\/docker|var\/lib\/containerd|var\/log|var\/run|run)\/?$|^\/etc\/kubernetes/;
const RUNTIME_SOCKET = /(docker|containerd|crio|cri-dockerd|podman)(\/[a-z-]+)?\.sock$/;
const ESCAPE_CAPABILITIES = /^(CAP_)?(ALL|SYS_ADMIN|SYS_PTRACE|SYS_MODULE|DAC_READ_SEARCH)$/;
const ESCAPE_FALCO_RULE =
  /container escape|release_agent|mount launched in privileged container|namespace privileges via unshare|debugfs launched|symlink over sensitive|nsenter/i;
const ESCAPE_CMDLINE = /\bnsenter\b.*(--target[= ]1\b|-t ?1\b)|\bchroot\s+\/(host|rootfs)\b/;
const WORKLOADS = new Set([
  'pods',
  'deployments',
  'daemonsets',
  'statefulsets',
  'replicasets',
  'replicationcontrollers',
  'jobs',
  'cronjobs',
]);
const WRITES = new Set(['create', 'update', 'patch']);

/** What in a written pod spec breaks the container boundary, or undefined. */
function escapeVector(e: NormalisedEventView): { what: string; socket: boolean } | undefined {
  if (!WORKLOADS.has(e.resource?.type ?? '') || !WRITES.has(e.activity ?? '')) return undefined;
  const spec = podSpecOf(requestObjectOf(e));
  if (spec === undefined) return undefined;
  const paths = asArray(spec['volumes'])
    .map((v) => asObject(asObject(v)?.['hostPath'])?.['path'])
    .filter((p): p is string => typeof p === 'string');
  const socket = paths.find((p) => RUNTIME_SOCKET.test(p));
  if (socket !== undefined) return { what: `mounts the runtime socket ${socket}`, socket: true };
  const containers = ['containers', 'initContainers', 'ephemeralContainers'].flatMap((k) =>
    asArray(spec[k]).map((c) => asObject(asObject(c)?.['securityContext'])),
  );
  const reasons = [
    containers.some((sc) => sc?.['privileged'] === true) ? 'a privileged container' : '',
    ...(['hostPID', 'hostIPC', 'hostNetwork'] as const).map((k) => (spec[k] === true ? k : '')),
    ...paths.filter((p) => SENSITIVE_HOST_PATH.test(p)).map((p) => `hostPath ${p}`),
    ...containers
      .flatMap((sc) => asArray(asObject(sc?.['capabilities'])?.['add']))
      .filter((c): c is string => typeof c === 'string' && ESCAPE_CAPABILITIES.test(c))
      .map((c) => `capability ${c}`),
  ].filter((r) => r !== '');
  return reasons.length === 0 ? undefined : { what: reasons.join(', '), socket: false };
}

/** A successful secret read by an identity outside the control plane. */
function secretRead(e: NormalisedEventView): boolean {
  return (
    e.resource?.type === 'secrets' &&
    (e.activity === 'get' || e.activity === 'list' || e.activity === 'watch') &&
    (e.outcome?.code === undefined || e.outcome.code < 400) &&
    !isControlPlane(e.actor)
  );
}

/** A legacy service-account token Secret: by its type when the response was logged, else its name. */
function isTokenSecret(e: NormalisedEventView): boolean {
  const type = asObject(e.responseObject)?.['type'];
  if (typeof type === 'string') return type === 'kubernetes.io/service-account-token';
  return /-token(-[a-z0-9]{5})?$/.test(e.resource?.name ?? '');
}

const ESCALATION_VERBS = new Set(['escalate', 'bind', 'impersonate', '*']);
const ESCALATION_RESOURCES = new Set([
  '*',
  'nodes/proxy',
  'serviceaccounts/token',
  'certificatesigningrequests/approval',
]);

/** What a written Role/ClusterRole grants beyond its holder's own rights, or undefined. */
function roleEscalation(e: NormalisedEventView): string | undefined {
  const t = e.resource?.type;
  if ((t !== 'roles' && t !== 'clusterroles') || !WRITES.has(e.activity ?? '')) return undefined;
  const grants = asArray(requestObjectOf(e)?.['rules']).flatMap((r) => {
    const rule = asObject(r);
    return [
      ...asArray(rule?.['verbs']).filter((v) => ESCALATION_VERBS.has(String(v))),
      ...asArray(rule?.['resources']).filter((v) => ESCALATION_RESOURCES.has(String(v))),
    ].map(String);
  });
  return grants.length === 0 ? undefined : [...new Set(grants)].join(', ');
}

/** What a written binding grants: a built-in admin role or the system:masters group. */
function privilegedBinding(
  e: NormalisedEventView,
): { what: string; critical: boolean } | undefined {
  const t = e.resource?.type;
  if ((t !== 'clusterrolebindings' && t !== 'rolebindings') || !WRITES.has(e.activity ?? ''))
    return undefined;
  const request = requestObjectOf(e);
  const role = asObject(request?.['roleRef'])?.['name'];
  const masters = asArray(request?.['subjects']).some(
    (s) => asObject(s)?.['name'] === 'system:masters',
  );
  if (masters) return { what: 'the system:masters group', critical: true };
  if (role === 'cluster-admin') return { what: 'cluster-admin', critical: true };
  if (role === 'admin' || role === 'edit')
    return { what: `the built-in ${role} role`, critical: false };
  return undefined;
}

/** The rule set; order only matters for the wording of the summary. */
export const OFFLINE_RULES: readonly AnalysisRule[] = [
  {
    id: 'crypto-miner-process',
    technique: 'T1496',
    severity: 'critical',
    confidence: 0.9,
    responses: ['isolate-pod', 'delete-pod'],
    matches: (e) => {
      const text = `${e.process?.name ?? ''} ${e.process?.cmdline ?? ''}`;
      return MINER_PROCESS.test(text)
        ? `process "${e.process?.name ?? text.trim()}" is a known crypto-miner`
        : undefined;
    },
  },
  {
    id: 'mining-pool-connection',
    technique: 'T1496',
    severity: 'high',
    confidence: 0.75,
    responses: ['block-ip', 'isolate-pod'],
    matches: (e) =>
      e.network?.dstPort !== undefined && MINING_PORTS.has(e.network.dstPort)
        ? `outbound connection to ${e.network.dstIp ?? '?'}:${e.network.dstPort}, a port used by mining pools`
        : undefined,
  },
  {
    // Developers exec into pods every day and Falco's shell rule is among its noisiest:
    // a shell alone is a question for a human (below the shipped 0.55 reviewer threshold
    // unless the detector finds it extremely unusual); with a miner, drift or a token
    // read it combines into an analysis the policy may act on.
    id: 'shell-in-container',
    technique: 'T1609',
    severity: 'high',
    confidence: 0.5,
    responses: ['isolate-pod'],
    matches: (e) => {
      if (e.rule && /terminal shell in container|shell.*container/i.test(e.rule))
        return `Falco rule "${e.rule}" fired`;
      if (
        e.resource?.type === 'pods' &&
        e.resource.subresource === 'exec' &&
        e.activity !== 'get'
      ) {
        return `${e.actor?.user ?? 'someone'} opened an exec session into pod ${e.resource.namespace ?? ''}/${e.resource.name ?? ''}`;
      }
      if (e.process?.name && SHELLS.test(e.process.name) && e.classUid === 1007)
        return `interactive shell "${e.process.name}" started in a container`;
      return undefined;
    },
  },
  {
    // Container drift: a running container executes a binary its image never had. The
    // Deployment can recreate the pod from the clean image, so replacing it is the fix
    // (and the policy turns the delete into an isolation where evidence matters).
    id: 'container-drift',
    technique: 'T1105',
    severity: 'high',
    confidence: 0.8,
    responses: ['delete-pod'],
    matches: (e) =>
      e.rule && /drop and execute new binary|container drift/i.test(e.rule)
        ? `Falco rule "${e.rule}" fired: ${e.process?.name ?? 'a binary'} is not part of the container image`
        : undefined,
  },
  {
    id: 'anonymous-api-access',
    technique: 'T1078.001',
    severity: 'high',
    confidence: 0.8,
    responses: ['block-ip'],
    matches: (e) =>
      (e.actor?.user === 'system:anonymous' ||
        (e.actor?.groups?.includes('system:unauthenticated') ?? false)) &&
      (e.outcome?.code === undefined || e.outcome.code < 400) &&
      !HEALTH_PATH.test(e.requestUri ?? '')
        ? `anonymous request "${requested(e)}" succeeded from ${e.actor?.sourceIp ?? 'an unknown address'}${claimedSuffix(e.actor?.claimedSourceIps)}`
        : undefined,
  },
  {
    // Reads the normalised requestObject, so EKS/AKS/GKE deliveries are judged on their
    // inner audit event like native ones.
    id: 'privileged-binding',
    technique: 'T1098.006',
    severity: 'critical',
    confidence: 0.85,
    responses: ['disable-user'],
    matches: (e) => {
      const b = privilegedBinding(e);
      return b === undefined
        ? undefined
        : `${e.actor?.user ?? 'someone'} bound ${b.what} through ${e.resource?.type} ${e.resource?.name ?? ''}`;
    },
    severityOf: (e) => (privilegedBinding(e)?.critical === false ? 'high' : 'critical'),
  },
  {
    id: 'rbac-escalation-role',
    technique: 'T1098.006',
    severity: 'high',
    confidence: 0.75,
    responses: ['disable-user'],
    matches: (e) => {
      if (isControlPlane(e.actor)) return undefined;
      const grants = roleEscalation(e);
      return grants === undefined
        ? undefined
        : `${e.actor?.user ?? 'someone'} wrote ${e.resource?.type} ${e.resource?.name ?? ''} granting ${grants}`;
    },
  },
  {
    id: 'container-escape',
    technique: 'T1611',
    severity: 'critical',
    confidence: 0.8,
    responses: ['isolate-pod', 'delete-pod'],
    matches: (e) => {
      if (e.signal === 'health') return undefined;
      if (
        e.tags?.some((t) => t.toUpperCase() === 'T1611') ||
        (e.rule && ESCAPE_FALCO_RULE.test(e.rule))
      )
        return `${e.rule ? `Falco rule "${e.rule}"` : 'the sensor'} reports a container escape`;
      if (ESCAPE_CMDLINE.test(e.process?.cmdline ?? ''))
        return `process "${e.process?.cmdline ?? ''}" enters the host's namespaces`;
      if (isControlPlane(e.actor)) return undefined;
      const v = escapeVector(e);
      return v === undefined
        ? undefined
        : `${e.actor?.user ?? 'someone'} wrote ${e.resource?.type} ${e.resource?.namespace ?? ''}/${e.resource?.name ?? ''} with ${v.what}`;
    },
    // A pod spec that can escape is high; an escape observed, or the runtime socket, critical.
    severityOf: (e) => {
      const v = escapeVector(e);
      return v !== undefined && !v.socket && !isControlPlane(e.actor) ? 'high' : 'critical';
    },
  },
  {
    id: 'service-account-token-request',
    technique: 'T1528',
    severity: 'high',
    confidence: 0.65,
    responses: ['revoke-sa-token', 'disable-user'],
    matches: (e) =>
      e.resource?.type === 'serviceaccounts' &&
      e.resource.subresource === 'token' &&
      e.activity === 'create' &&
      !isControlPlane(e.actor)
        ? `${e.actor?.user ?? 'unknown'} minted a token for service account ${e.resource.namespace ?? ''}/${e.resource.name ?? ''}`
        : undefined,
  },
  {
    id: 'service-account-token-secret-read',
    technique: 'T1528',
    severity: 'high',
    confidence: 0.65,
    responses: ['revoke-sa-token', 'disable-user'],
    matches: (e) =>
      secretRead(e) && isTokenSecret(e)
        ? `${e.actor?.user ?? 'unknown'} read the service-account token Secret ${e.resource?.namespace ?? ''}/${e.resource?.name ?? ''}`
        : undefined,
  },
  {
    // Kubelets and controllers read secrets all day: only other identities count, and a
    // read is a question (medium), not proof of theft.
    id: 'secret-read-unexpected-identity',
    technique: 'T1552.007',
    severity: 'medium',
    confidence: 0.5,
    responses: [],
    matches: (e) =>
      secretRead(e) && !isTokenSecret(e)
        ? `${e.actor?.user ?? 'unknown'} read secrets in ${e.resource?.namespace ?? 'the cluster'}`
        : undefined,
  },
  {
    id: 'unusual-egress',
    technique: 'T1041',
    severity: 'medium',
    confidence: 0.5,
    responses: ['block-ip'],
    matches: (e) =>
      e.classUid === 4001 && e.network?.dstIp !== undefined && !isPrivateAddress(e.network.dstIp)
        ? `egress to ${e.network.dstIp}${e.network.dstPort === undefined ? '' : `:${e.network.dstPort}`}, an address not seen in the baseline`
        : undefined,
  },
];

/** RFC 1918, loopback and link-local IPv4 ranges. */
export function isPrivateAddress(ip: string): boolean {
  const m = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(ip);
  if (!m) return false;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return (
    a === 10 ||
    a === 127 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254)
  );
}

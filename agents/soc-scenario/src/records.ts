/**
 * Builders of raw records exactly as their producers write them: kube-apiserver audit
 * events (`audit.k8s.io/v1`), Falco JSON alerts (some forwarded by Falcosidekick, with
 * `uuid`), and OCSF 1.3 Network Activity (Cilium Hubble), Process Activity (Tetragon) and
 * Detection Finding (GuardDuty) events.
 */
import type { Rng } from './rng.js';
import type { PodSpec } from './estate.js';

export interface Actor {
  readonly username: string;
  readonly groups: readonly string[];
  readonly userAgent: string;
  readonly sourceIp: string;
}

export interface AuditInput {
  readonly time: number;
  readonly actor: Actor;
  readonly verb: string;
  readonly resource: string;
  readonly apiGroup?: string;
  readonly apiVersion?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
  readonly code?: number;
  readonly level?: 'Metadata' | 'Request' | 'RequestResponse';
  readonly requestObject?: unknown;
  readonly query?: string;
  /** A non-resource URL (`/version`, `/healthz`): no objectRef. */
  readonly path?: string;
  /** Authorisation reason; defaults to an RBAC allow. */
  readonly reason?: string;
}

function iso(ms: number, rng: Rng, digits = 6): string {
  const base = new Date(ms).toISOString(); // …sss Z
  return `${base.slice(0, 23)}${rng.hex(digits - 3).replace(/[a-f]/g, (c) => String(c.charCodeAt(0) % 10))}Z`;
}

const CORE_GROUPS = new Set(['', undefined]);

export function requestUri(a: AuditInput): string {
  if (a.path !== undefined) return a.path;
  const group = a.apiGroup ?? '';
  const version = a.apiVersion ?? 'v1';
  let path = CORE_GROUPS.has(group) ? `/api/${version}` : `/apis/${group}/${version}`;
  if (a.namespace !== undefined) path += `/namespaces/${a.namespace}`;
  path += `/${a.resource}`;
  if (a.name !== undefined && a.verb !== 'list' && a.verb !== 'watch' && a.verb !== 'create')
    path += `/${a.name}`;
  else if (a.name !== undefined && a.subresource !== undefined) path += `/${a.name}`;
  if (a.subresource !== undefined) path += `/${a.subresource}`;
  const query =
    a.query ??
    (a.verb === 'watch'
      ? 'allowWatchBookmarks=true&resourceVersion=0&timeout=8m41s&watch=true'
      : a.verb === 'list'
        ? 'limit=500'
        : undefined);
  return query === undefined ? path : `${path}?${query}`;
}

export function auditEvent(rng: Rng, a: AuditInput): Record<string, unknown> {
  const code = a.code ?? (a.verb === 'create' ? 201 : 200);
  const received = a.time;
  const completed = a.time + rng.between(1, a.verb === 'watch' ? 520_000 : 40);
  const allowed = code !== 403 && code !== 401;
  const event: Record<string, unknown> = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: a.level ?? 'Metadata',
    auditID: rng.uuid(),
    stage: 'ResponseComplete',
    requestURI: requestUri(a),
    verb: a.verb,
    user: code === 401 ? {} : { username: a.actor.username, groups: [...a.actor.groups] },
    sourceIPs: [a.actor.sourceIp],
    userAgent: a.actor.userAgent,
  };
  if (a.resource !== '') {
    event['objectRef'] = {
      resource: a.resource,
      ...(a.namespace === undefined ? {} : { namespace: a.namespace }),
      ...(a.name === undefined ? {} : { name: a.name }),
      ...(a.apiGroup === undefined || a.apiGroup === '' ? {} : { apiGroup: a.apiGroup }),
      apiVersion: a.apiVersion ?? 'v1',
      ...(a.subresource === undefined ? {} : { subresource: a.subresource }),
    };
  }
  event['responseStatus'] = allowed
    ? { metadata: {}, code }
    : {
        metadata: {},
        status: 'Failure',
        message: `${a.resource} is forbidden: User "${a.actor.username}" cannot ${a.verb} resource "${a.resource}" in API group "${a.apiGroup ?? ''}"${a.namespace === undefined ? ' at the cluster scope' : ` in the namespace "${a.namespace}"`}`,
        reason: code === 401 ? 'Unauthorized' : 'Forbidden',
        code,
      };
  if (a.requestObject !== undefined) event['requestObject'] = a.requestObject;
  event['requestReceivedTimestamp'] = iso(received, rng);
  event['stageTimestamp'] = iso(completed, rng);
  if (code !== 401) {
    event['annotations'] = {
      'authorization.k8s.io/decision': allowed ? 'allow' : 'forbid',
      'authorization.k8s.io/reason': allowed ? (a.reason ?? defaultReason(a)) : '',
    };
  }
  return event;
}

function defaultReason(a: AuditInput): string {
  const u = a.actor.username;
  if (u.startsWith('system:node:')) return '';
  if (u === 'system:kube-controller-manager' || u === 'system:kube-scheduler')
    return `RBAC: allowed by ClusterRoleBinding "${u}" of ClusterRole "${u}" to User "${u}"`;
  if (u.startsWith('system:serviceaccount:')) {
    const [, , ns, sa] = u.split(':');
    return a.namespace === undefined
      ? `RBAC: allowed by ClusterRoleBinding "${sa}" of ClusterRole "${sa}" to ServiceAccount "${sa}/${ns}"`
      : `RBAC: allowed by RoleBinding "${sa}/${a.namespace}" of Role "${sa}" to ServiceAccount "${sa}/${ns}"`;
  }
  return `RBAC: allowed by ClusterRoleBinding "oidc-${a.actor.groups[0]?.replace('oidc:', '') ?? 'users'}" of ClusterRole "view" to Group "${a.actor.groups[0] ?? ''}"`;
}

export interface FalcoInput {
  readonly time: number;
  readonly rule: string;
  readonly priority:
    | 'Emergency'
    | 'Alert'
    | 'Critical'
    | 'Error'
    | 'Warning'
    | 'Notice'
    | 'Informational'
    | 'Debug';
  readonly message: string;
  readonly pod: PodSpec;
  readonly proc: { name: string; cmdline: string; pname: string; user?: string; exepath?: string };
  readonly tags: readonly string[];
  readonly extra?: Record<string, string | number>;
  /** Forwarded by Falcosidekick (adds `uuid`). */
  readonly sidekick?: boolean;
}

export function falcoAlert(rng: Rng, f: FalcoInput): Record<string, unknown> {
  const ns = `${new Date(f.time).toISOString().slice(0, 23)}${String(rng.int(1_000_000)).padStart(6, '0')}Z`;
  const [repo, tag] = f.pod.workload.image.split(/:(?=[^:]+$)/);
  const user = f.proc.user ?? 'root';
  const fields: Record<string, string | number> = {
    'container.id': f.pod.containerId,
    'container.image.repository': repo ?? f.pod.workload.image,
    'container.image.tag': tag ?? 'latest',
    'container.name': f.pod.workload.name,
    'evt.time': f.time * 1_000_000,
    'k8s.ns.name': f.pod.namespace,
    'k8s.pod.name': f.pod.name,
    'proc.cmdline': f.proc.cmdline,
    'proc.exepath': f.proc.exepath ?? `/usr/bin/${f.proc.name}`,
    'proc.name': f.proc.name,
    'proc.pname': f.proc.pname,
    'user.loginuid': -1,
    'user.name': user,
    'user.uid': user === 'root' ? 0 : 1000,
    ...(f.extra ?? {}),
  };
  const details = `user=${user} process=${f.proc.name} command=${f.proc.cmdline} parent=${f.proc.pname} container_id=${f.pod.containerId} container_name=${f.pod.workload.name} k8s_ns_name=${f.pod.namespace} k8s_pod_name=${f.pod.name}`;
  return {
    ...(f.sidekick === true ? { uuid: rng.uuid() } : {}),
    hostname: f.pod.node.name,
    output: `${ns.slice(11, 29)}: ${f.priority} ${f.message} (${details})`,
    output_fields: fields,
    priority: f.priority,
    rule: f.rule,
    source: 'syscall',
    tags: [...f.tags],
    time: ns,
  };
}

const PRODUCTS = {
  hubble: { name: 'Hubble', vendor_name: 'Cilium', version: '1.16.3' },
  tetragon: { name: 'Tetragon', vendor_name: 'Cilium', version: '1.2.0' },
  guardduty: { name: 'GuardDuty', vendor_name: 'AWS', feature: { name: 'EKS Runtime Monitoring' } },
} as const;

export interface FlowInput {
  readonly time: number;
  readonly pod: PodSpec;
  readonly dstIp: string;
  readonly dstPort: number;
  readonly protocol: 'tcp' | 'udp';
  readonly bytesOut: number;
  readonly bytesIn: number;
  readonly dstName?: string;
  /** Verdict reported by the flow source. */
  readonly dropped?: boolean;
}

export function ocsfNetworkFlow(rng: Rng, f: FlowInput): Record<string, unknown> {
  return {
    activity_id: 6,
    activity_name: 'Traffic',
    category_uid: 4,
    category_name: 'Network Activity',
    class_uid: 4001,
    class_name: 'Network Activity',
    type_uid: 400106,
    type_name: 'Network Activity: Traffic',
    severity_id: 1,
    severity: 'Informational',
    status_id: f.dropped === true ? 2 : 1,
    time: f.time,
    metadata: {
      version: '1.3.0',
      uid: rng.uuid(),
      product: PRODUCTS.hubble,
      log_name: 'hubble-flows',
    },
    src_endpoint: { ip: f.pod.ip, port: rng.between(32768, 60999) },
    dst_endpoint: {
      ip: f.dstIp,
      port: f.dstPort,
      ...(f.dstName === undefined ? {} : { hostname: f.dstName }),
    },
    connection_info: { protocol_name: f.protocol, direction_id: 2, direction: 'Outbound' },
    traffic: {
      bytes_out: f.bytesOut,
      bytes_in: f.bytesIn,
      packets_out: Math.ceil(f.bytesOut / 1200),
      packets_in: Math.ceil(f.bytesIn / 1200),
    },
    device: { hostname: f.pod.node.name, ip: f.pod.node.ip, type_id: 1 },
    container: containerOf(f.pod),
    unmapped: { 'k8s.ns.name': f.pod.namespace, 'k8s.pod.name': f.pod.name },
  };
}

export interface ProcessInput {
  readonly time: number;
  readonly pod: PodSpec;
  readonly name: string;
  readonly cmdline: string;
  readonly path: string;
  readonly parent: string;
  readonly user?: string;
}

export function ocsfProcessLaunch(rng: Rng, p: ProcessInput): Record<string, unknown> {
  const pid = rng.between(7, 32000);
  return {
    activity_id: 1,
    activity_name: 'Launch',
    category_uid: 1,
    category_name: 'System Activity',
    class_uid: 1007,
    class_name: 'Process Activity',
    type_uid: 100701,
    type_name: 'Process Activity: Launch',
    severity_id: 1,
    time: p.time,
    metadata: { version: '1.3.0', uid: rng.uuid(), product: PRODUCTS.tetragon },
    process: {
      pid,
      name: p.name,
      cmd_line: p.cmdline,
      file: { path: p.path, name: p.path.split('/').pop(), type_id: 1 },
      user: {
        name: p.user ?? 'root',
        uid: p.user === undefined || p.user === 'root' ? '0' : '1000',
      },
      parent_process: { pid: pid - rng.between(1, 6), name: p.parent },
    },
    actor: { process: { name: p.parent } },
    device: { hostname: p.pod.node.name, ip: p.pod.node.ip, type_id: 1 },
    container: containerOf(p.pod),
    unmapped: { 'k8s.ns.name': p.pod.namespace, 'k8s.pod.name': p.pod.name },
  };
}

export interface FindingInput {
  readonly time: number;
  readonly title: string;
  readonly description: string;
  readonly severityId: number;
  readonly technique: { uid: string; name: string };
  readonly tactic: { uid: string; name: string };
  readonly pod: PodSpec;
  readonly actor: string;
}

export function ocsfDetectionFinding(rng: Rng, f: FindingInput): Record<string, unknown> {
  const id = rng.hex(32);
  return {
    activity_id: 1,
    activity_name: 'Create',
    category_uid: 2,
    category_name: 'Findings',
    class_uid: 2004,
    class_name: 'Detection Finding',
    type_uid: 200401,
    type_name: 'Detection Finding: Create',
    severity_id: f.severityId,
    status_id: 1,
    status: 'New',
    time: f.time,
    metadata: { version: '1.3.0', uid: id, product: PRODUCTS.guardduty },
    finding_info: {
      uid: `arn:aws:guardduty:eu-west-1:111122223333:detector/5ec8a1d2/finding/${id}`,
      title: f.title,
      desc: f.description,
      types: [f.title.split(':')[0]],
      analytic: { name: f.title.split('/').pop(), type_id: 1, type: 'Rule' },
      attacks: [{ technique: f.technique, tactic: f.tactic, version: '15' }],
      created_time: f.time,
    },
    resources: [{ type: 'pods', name: f.pod.name, namespace: f.pod.namespace }],
    actor: { user: { name: f.actor } },
    cloud: { provider: 'AWS', region: 'eu-west-1', account: { uid: '111122223333' } },
    container: containerOf(f.pod),
    unmapped: { 'k8s.ns.name': f.pod.namespace, 'k8s.pod.name': f.pod.name },
  };
}

function containerOf(pod: PodSpec): Record<string, unknown> {
  const [name, tag] = pod.workload.image.split(/:(?=[^:]+$)/);
  return { name: pod.workload.name, uid: pod.containerId, image: { name, tag }, pod_uuid: pod.uid };
}

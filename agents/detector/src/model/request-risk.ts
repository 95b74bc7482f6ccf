/**
 * Risk features read from an audit event's `requestObject`, where the substance of most
 * Kubernetes attacks lives: a pod (or any workload template) that is privileged, joins the
 * host's PID / network / IPC namespace, mounts the host's filesystem or a container
 * runtime socket, or adds capabilities; an RBAC rule with wildcards or the verbs that
 * step around RBAC (`escalate`, `bind`, `impersonate`, `nodes/proxy`); a binding to an
 * all-powerful role or group.
 *
 * A counter per property (how many containers / volumes / rules have it), written into a
 * caller-owned row. Objects are walked by hand (no schema library, no allocation beyond
 * what JSON already holds): this runs for every API event that carries a body, and bodies
 * come from untrusted sources, so every step checks its type and bad shapes count as 0.
 */

/** The risk columns, in order. */
export const REQUEST_RISK_NAMES = [
  'request.privileged',
  'request.hostNamespaces',
  'request.hostPath',
  'request.runtimeSocket',
  'request.addedCapabilities',
  'request.rbacWildcards',
  'request.rbacEscalation',
  'request.privilegedBinding',
] as const;

export const REQUEST_RISK_COUNT = REQUEST_RISK_NAMES.length;

/** Host paths whose mount gives the container the host: the root, runtime sockets, kubelet, etc. */
const RUNTIME_SOCKET_MARKERS = [
  'docker.sock',
  'containerd.sock',
  'crio.sock',
  'cri-dockerd.sock',
  'podman.sock',
  '/var/run/docker',
  '/run/containerd',
  '/var/run/containerd',
  '/var/run/crio',
] as const;

/** Verbs and resources that let a subject exceed its own RBAC. */
const ESCALATING_VERBS = new Set(['escalate', 'bind', 'impersonate']);
/** Resources whose grant is a step around RBAC: the kubelet API, token minting, CSR approval. */
const ESCALATING_RESOURCES = new Set([
  'nodes/proxy',
  'serviceaccounts/token',
  'certificatesigningrequests/approval',
]);

/** Roles and groups that are, in effect, the whole cluster. */
const PRIVILEGED_ROLES = new Set(['cluster-admin', 'admin', 'system:masters']);

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Writes the {@link REQUEST_RISK_COUNT} counters of `body` (an audit `requestObject`; or
 * `undefined`) to `out[offset…]`.
 */
export function requestRiskInto(body: unknown, out: Float64Array, offset: number): void {
  for (let i = 0; i < REQUEST_RISK_COUNT; i++) out[offset + i] = 0;
  if (!isObject(body)) return;
  const spec = podSpecOf(body);
  if (spec !== undefined) podRiskInto(spec, out, offset);
  const rules = body['rules'];
  if (Array.isArray(rules)) rbacRulesInto(rules, out, offset);
  const roleRef = body['roleRef'];
  if (isObject(roleRef) || Array.isArray(body['subjects'])) bindingInto(body, out, offset);
}

/** The pod spec of a Pod or of any workload template (Deployment, Job, CronJob, …). */
function podSpecOf(body: Json): Json | undefined {
  const spec = body['spec'];
  if (!isObject(spec)) return undefined;
  if ('containers' in spec || 'ephemeralContainers' in spec || 'hostPID' in spec) return spec;
  const template = spec['template'];
  if (isObject(template) && isObject(template['spec'])) return template['spec'];
  const jobTemplate = spec['jobTemplate'];
  if (isObject(jobTemplate)) {
    const jobSpec = jobTemplate['spec'];
    if (isObject(jobSpec) && isObject(jobSpec['template']) && isObject(jobSpec['template']['spec']))
      return jobSpec['template']['spec'];
  }
  return undefined;
}

function podRiskInto(spec: Json, out: Float64Array, o: number): void {
  out[o + 1] =
    (spec['hostPID'] === true ? 1 : 0) +
    (spec['hostNetwork'] === true ? 1 : 0) +
    (spec['hostIPC'] === true ? 1 : 0);
  for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
    const list = spec[key];
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      if (!isObject(c)) continue;
      const sc = c['securityContext'];
      if (!isObject(sc)) continue;
      if (sc['privileged'] === true) out[o]! += 1;
      const caps = sc['capabilities'];
      const add = isObject(caps) ? caps['add'] : undefined;
      if (Array.isArray(add)) out[o + 4]! += add.filter((a) => typeof a === 'string').length;
    }
  }
  const volumes = spec['volumes'];
  if (!Array.isArray(volumes)) return;
  for (const v of volumes) {
    if (!isObject(v) || !isObject(v['hostPath'])) continue;
    out[o + 2]! += 1;
    const path = v['hostPath']['path'];
    if (typeof path === 'string' && RUNTIME_SOCKET_MARKERS.some((m) => path.includes(m)))
      out[o + 3]! += 1;
  }
}

function rbacRulesInto(rules: readonly unknown[], out: Float64Array, o: number): void {
  for (const rule of rules) {
    if (!isObject(rule)) continue;
    const verbs = strings(rule['verbs']);
    const resources = strings(rule['resources']);
    const groups = strings(rule['apiGroups']);
    if (verbs.includes('*') || resources.includes('*') || groups.includes('*')) out[o + 5]! += 1;
    if (
      verbs.some((v) => ESCALATING_VERBS.has(v)) ||
      resources.some((r) => ESCALATING_RESOURCES.has(r))
    )
      out[o + 6]! += 1;
  }
}

function bindingInto(body: Json, out: Float64Array, o: number): void {
  const roleRef = body['roleRef'];
  const role = isObject(roleRef) && typeof roleRef['name'] === 'string' ? roleRef['name'] : '';
  let privileged = PRIVILEGED_ROLES.has(role) ? 1 : 0;
  const subjects = body['subjects'];
  if (Array.isArray(subjects))
    for (const s of subjects)
      if (isObject(s) && s['kind'] === 'Group' && PRIVILEGED_ROLES.has(String(s['name'])))
        privileged += 1;
  out[o + 7] = privileged;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

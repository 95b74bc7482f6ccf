/**
 * Kubernetes audit events (`audit.k8s.io/v1` `Event`) and Google Cloud's rendering of
 * them (GKE Cloud Logging `protoPayload`) → {@link SecurityEvent} with OCSF class API
 * Activity (6003).
 *
 * Attribution needs a `verb` and a `user` object (on a failed authentication, HTTP 401,
 * the apiserver records `user: {}`; that is attributed to its source address). The
 * bookkeeping fields trimming pipelines drop — `level`, `stage`, `auditID`, `requestURI`,
 * the timestamps — are defaulted and listed in `defaulted`: level from what the record
 * carries, stage `ResponseComplete`, id a digest of the record, time the receive time.
 */
import type { DefaultedField, SecurityEvent } from './security-event.js';
import { observedAndClaimed } from './source-address.js';
import { type NormaliseResult, unattributable } from './result.js';
import {
  type JsonObject,
  compact,
  int,
  isObject,
  nonEmpty,
  obj,
  parseTime,
  recordDigest,
  str,
  strings,
} from './fields.js';

const FORMAT = 'k8s audit';

/** Audit stages the apiserver emits (k8s.io/apiserver/pkg/apis/audit). */
const STAGES = new Set(['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic']);
const LEVELS = new Set(['None', 'Metadata', 'Request', 'RequestResponse']);

/**
 * True for `apiVersion: audit.k8s.io/v1` (or v1beta1) records of kind `Event`, and for
 * trimmed records that kept the audit event's shape without them: a string `verb`, a
 * `user` object and an `objectRef` object or a `requestURI`.
 */
export function isK8sAuditEvent(o: JsonObject): boolean {
  const api = o['apiVersion'];
  if (typeof api === 'string') return api.startsWith('audit.k8s.io/') && o['kind'] === 'Event';
  return (
    typeof o['verb'] === 'string' &&
    (isObject(o['objectRef']) || typeof o['requestURI'] === 'string') &&
    (isObject(o['user']) || typeof o['auditID'] === 'string')
  );
}

/** Options shared by the normalisers: the receive clock for records without a timestamp. */
export interface NormaliseOptions {
  readonly now?: () => number;
}

export function normaliseK8sAudit(
  o: JsonObject,
  raw: unknown,
  origin?: SecurityEvent['origin'],
  options: NormaliseOptions = {},
): NormaliseResult {
  const verb = nonEmpty(o, 'verb');
  if (verb === undefined) return unattributable('verb', FORMAT);
  const user = obj(o, 'user');
  const status = obj(o, 'responseStatus');
  const code = int(status, 'code');
  if (user === undefined || (!hasIdentity(user) && code !== 401))
    return unattributable('user', FORMAT);

  const defaulted: DefaultedField[] = [];
  const level = str(o, 'level');
  if (level === undefined || !LEVELS.has(level)) defaulted.push('level');
  let stage = str(o, 'stage');
  if (stage === undefined || !STAGES.has(stage)) {
    defaulted.push('stage');
    stage = 'ResponseComplete';
  }
  let auditId = nonEmpty(o, 'auditID');
  if (auditId === undefined) {
    defaulted.push('id');
    auditId = recordDigest(o);
  }
  const requestUri = str(o, 'requestURI');
  if (requestUri === undefined) defaulted.push('requestURI');
  let time = parseTime(o['requestReceivedTimestamp']) ?? parseTime(o['stageTimestamp']);
  if (time === undefined) {
    defaulted.push('time');
    time = (options.now ?? Date.now)();
  }

  const ref = obj(o, 'objectRef');
  const annotations = obj(o, 'annotations');
  const decision = str(annotations, 'authorization.k8s.io/decision');
  const sourceIps = strings(o, 'sourceIPs');
  const impersonated = obj(o, 'impersonatedUser');
  const resourceType = nonEmpty(ref, 'resource');

  const event: SecurityEvent = compact({
    // RequestReceived and ResponseComplete of one request share the auditID.
    id: stage === 'ResponseComplete' ? auditId : `${auditId}#${stage}`,
    time,
    format: 'k8s-audit',
    origin,
    classUid: 6003,
    activity: verb,
    severityId: severityOf(code, decision),
    actor: compact({
      user: nonEmpty(user, 'username'),
      groups: strings(user, 'groups'),
      userAgent: str(o, 'userAgent'),
      ...observedAndClaimed(sourceIps),
      impersonatedUser: str(impersonated, 'username'),
    }),
    resource:
      resourceType === undefined
        ? undefined
        : compact({
            type: resourceType,
            apiGroup: nonEmpty(ref, 'apiGroup'),
            namespace: nonEmpty(ref, 'namespace'),
            name: nonEmpty(ref, 'name'),
            subresource: nonEmpty(ref, 'subresource'),
          }),
    outcome:
      code === undefined && decision === undefined
        ? undefined
        : compact({
            code,
            decision: decisionOf(decision),
          }),
    tags: [],
    requestUri,
    requestObject: objectOrUndefined(o['requestObject']),
    responseObject: objectOrUndefined(o['responseObject']),
    defaulted: defaulted.length === 0 ? undefined : defaulted,
    raw,
  });
  return { ok: true, event };
}

function hasIdentity(user: JsonObject): boolean {
  return nonEmpty(user, 'username') !== undefined || (strings(user, 'groups')?.length ?? 0) > 0;
}

function objectOrUndefined(v: unknown): unknown {
  return v === null || v === undefined ? undefined : v;
}

function decisionOf(d: string | undefined): 'allow' | 'forbid' | undefined {
  return d === 'allow' || d === 'forbid' ? d : undefined;
}

function severityOf(code: number | undefined, decision: string | undefined): number {
  if (decision === 'forbid' || code === 401 || code === 403) return 2; // Low: a denied attempt
  if (code !== undefined && code >= 500) return 3;
  return 1; // Informational
}

const GKE = 'GKE audit log';

/**
 * True for a Cloud Logging entry whose `protoPayload` is a Kubernetes audit record:
 * `serviceName: k8s.io`, or — where a pipeline trimmed the service name — a `methodName`
 * in the `io.k8s.` namespace, which only GKE's rendering of the apiserver's record uses.
 */
export function isGkeAuditEntry(o: JsonObject): boolean {
  const p = obj(o, 'protoPayload');
  if (p === undefined) return false;
  const service = str(p, 'serviceName');
  if (service !== undefined) return service === 'k8s.io';
  return str(p, 'methodName')?.startsWith('io.k8s.') === true;
}

/** The verbs the apiserver records (k8s.io/apiserver request info), as GKE's method suffix. */
const K8S_VERBS = new Set([
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
  'proxy',
  'connect',
  'escalate',
  'bind',
  'impersonate',
  'approve',
  'sign',
  'use',
]);

/**
 * Maps a GKE Cloud Logging entry to API Activity. GKE does not keep the apiserver's
 * record; it renders it as a google.cloud.audit.AuditLog: `methodName`
 * `io.k8s.core.v1.pods.exec.create`, `resourceName` `core/v1/namespaces/shop/pods/web-1/exec`,
 * `authenticationInfo.principalEmail`, `requestMetadata.callerIp`, `status.code` (a
 * google.rpc code: 0 OK, 7 PERMISSION_DENIED, 16 UNAUTHENTICATED). The verb is the last
 * segment of `methodName`; `exec.create` style methods name a subresource.
 */
export function normaliseGkeAudit(
  o: JsonObject,
  raw: unknown,
  options: NormaliseOptions = {},
): NormaliseResult {
  const p = obj(o, 'protoPayload') as JsonObject;
  const method = nonEmpty(p, 'methodName');
  if (method === undefined) return unattributable('verb', GKE, 'protoPayload.methodName');
  const auth = obj(p, 'authenticationInfo');
  const principal = nonEmpty(auth, 'principalEmail');
  const rpcCode = int(obj(p, 'status'), 'code');
  if (principal === undefined && rpcCode !== 16)
    return unattributable('user', GKE, 'protoPayload.authenticationInfo.principalEmail');

  const defaulted: DefaultedField[] = [];
  let time = parseTime(o['timestamp']) ?? parseTime(o['receiveTimestamp']);
  if (time === undefined) {
    defaulted.push('time');
    time = (options.now ?? Date.now)();
  }
  // operation.id is the apiserver's auditID; insertId is Cloud Logging's own.
  let id = nonEmpty(obj(o, 'operation'), 'id') ?? nonEmpty(o, 'insertId');
  if (id === undefined) {
    defaulted.push('id');
    id = recordDigest(o);
  }
  const resourceName = str(p, 'resourceName');
  if (resourceName === undefined) defaulted.push('requestURI');

  const segments = method.split('.');
  const last = segments[segments.length - 1] ?? method;
  // A non-resource request (`io.k8s.readyz`, `io.k8s.healthz`) has no verb suffix: the
  // apiserver serves those paths to GET, and its request path is the method's tail.
  const nonResource = !K8S_VERBS.has(last);
  const verb = nonResource ? 'get' : last;
  const path = nonResource
    ? resourceName?.startsWith('/') === true
      ? resourceName
      : `/${segments.slice(2).join('/')}`
    : undefined;
  const meta = obj(p, 'requestMetadata');
  const authz = Array.isArray(p['authorizationInfo']) ? p['authorizationInfo'][0] : undefined;
  const granted = isObject(authz) ? authz['granted'] : undefined;
  const code = rpcCode === undefined ? undefined : httpOfRpc(rpcCode);
  const decision = decisionOf(
    str(obj(o, 'labels'), 'authorization.k8s.io/decision') ??
      (granted === true ? 'allow' : granted === false ? 'forbid' : undefined),
  );

  const event: SecurityEvent = compact({
    id,
    time,
    format: 'k8s-audit',
    origin: 'gke-cloud-logging',
    classUid: 6003,
    activity: verb,
    severityId: severityOf(code, decision),
    actor: compact({
      user: principal,
      userAgent: str(meta, 'callerSuppliedUserAgent'),
      // Cloud Logging writes callerIp; some exports re-case it.
      sourceIp: str(meta, 'callerIp') ?? str(meta, 'callerIP'),
    }),
    resource:
      path !== undefined
        ? undefined
        : resourceName === undefined
          ? resourceOfGkeMethod(segments)
          : resourceOfGkeName(resourceName),
    outcome: code === undefined && decision === undefined ? undefined : compact({ code, decision }),
    tags: [],
    requestUri: path ?? resourceName,
    requestObject: objectOrUndefined(p['request']),
    responseObject: objectOrUndefined(p['response']),
    defaulted: defaulted.length === 0 ? undefined : defaulted,
    raw,
  });
  return { ok: true, event };
}

/**
 * `io.k8s.core.v1.pods.exec.create` → pods/exec; `io.k8s.authorization.rbac.v1.clusterrolebindings.create`
 * → clusterrolebindings: the resource is the segment after the version (`v1`, `v1beta1`).
 */
function resourceOfGkeMethod(segments: readonly string[]): SecurityEvent['resource'] {
  const v = segments.findIndex((s, i) => i > 1 && /^v\d+((alpha|beta)\d+)?$/.test(s));
  const type = v < 0 ? undefined : segments[v + 1];
  if (type === undefined || v + 2 >= segments.length) return undefined;
  // The method names the group reversed: io.k8s.authorization.rbac → rbac.authorization.k8s.io,
  // io.k8s.apps → apps (built-in one-word groups carry no k8s.io suffix).
  const reversed = segments.slice(0, v).reverse().join('.');
  const short = reversed.endsWith('.k8s.io') ? reversed.slice(0, -'.k8s.io'.length) : reversed;
  const group = short.includes('.') ? reversed : short;
  return compact({
    type,
    apiGroup: group === 'core' || group === '' ? undefined : group,
    subresource: v + 3 < segments.length ? segments[v + 2] : undefined,
  });
}

/** google.rpc.Code → the HTTP status the apiserver would have answered. */
function httpOfRpc(code: number): number {
  switch (code) {
    case 0:
      return 200;
    case 3:
      return 400;
    case 5:
      return 404;
    case 6:
      return 409;
    case 7:
      return 403;
    case 16:
      return 401;
    default:
      return 500;
  }
}

/**
 * `core/v1/namespaces/shop/pods/web-1/exec` → pods shop/web-1 subresource exec;
 * `rbac.authorization.k8s.io/v1/clusterrolebindings/x` → apiGroup rbac…, clusterrolebindings x.
 */
export function resourceOfGkeName(name: string): SecurityEvent['resource'] {
  const parts = name.split('/').filter((s) => s.length > 0);
  if (parts.length < 3) return undefined;
  const group = parts[0] === 'core' ? undefined : parts[0];
  let rest = parts.slice(2);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const type = rest[0];
  if (type === undefined) return undefined;
  return compact({ type, apiGroup: group, namespace, name: rest[1], subresource: rest[2] });
}

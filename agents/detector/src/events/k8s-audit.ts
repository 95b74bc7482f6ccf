/**
 * Kubernetes audit events (`audit.k8s.io/v1` `Event`) and Google Cloud's rendering of
 * them (GKE Cloud Logging `protoPayload`) → {@link SecurityEvent} with OCSF class API
 * Activity (6003).
 *
 * Required (as the apiserver always writes them): `level`, `auditID`, `stage`,
 * `requestURI`, `verb`, `user` (an object; `username` is absent on requests that failed
 * authentication) and one of `requestReceivedTimestamp` / `stageTimestamp`.
 */
import type { SecurityEvent } from './security-event.js';
import { type NormaliseResult, invalid, missing } from './result.js';
import {
  type JsonObject,
  compact,
  int,
  isObject,
  nonEmpty,
  obj,
  parseTime,
  str,
  strings,
} from './fields.js';

const FORMAT = 'k8s audit';

/** Audit stages the apiserver emits (k8s.io/apiserver/pkg/apis/audit). */
const STAGES = new Set(['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic']);
const LEVELS = new Set(['None', 'Metadata', 'Request', 'RequestResponse']);

/** True for `apiVersion: audit.k8s.io/v1` (or v1beta1) records of kind `Event`. */
export function isK8sAuditEvent(o: JsonObject): boolean {
  const api = o['apiVersion'];
  return typeof api === 'string' && api.startsWith('audit.k8s.io/') && o['kind'] === 'Event';
}

export function normaliseK8sAudit(
  o: JsonObject,
  raw: unknown,
  origin?: SecurityEvent['origin'],
): NormaliseResult {
  const level = str(o, 'level');
  if (level === undefined) return missing('level', FORMAT);
  if (!LEVELS.has(level)) return invalid('level', `one of ${[...LEVELS].join(', ')}`, FORMAT);
  const auditId = nonEmpty(o, 'auditID');
  if (auditId === undefined) return missing('auditID', FORMAT);
  const stage = str(o, 'stage');
  if (stage === undefined) return missing('stage', FORMAT);
  if (!STAGES.has(stage)) return invalid('stage', `one of ${[...STAGES].join(', ')}`, FORMAT);
  if (str(o, 'requestURI') === undefined) return missing('requestURI', FORMAT);
  const verb = nonEmpty(o, 'verb');
  if (verb === undefined) return missing('verb', FORMAT);
  const user = obj(o, 'user');
  if (user === undefined) return missing('user', FORMAT);
  const time = parseTime(o['requestReceivedTimestamp']) ?? parseTime(o['stageTimestamp']);
  if (time === undefined) return missing('requestReceivedTimestamp', FORMAT);

  const ref = obj(o, 'objectRef');
  const status = obj(o, 'responseStatus');
  const code = int(status, 'code');
  const annotations = obj(o, 'annotations');
  const decision = str(annotations, 'authorization.k8s.io/decision');
  const sourceIps = strings(o, 'sourceIPs');
  const impersonated = obj(o, 'impersonatedUser');
  const resourceType = str(ref, 'resource');

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
      user: str(user, 'username'),
      groups: strings(user, 'groups'),
      userAgent: str(o, 'userAgent'),
      sourceIp: sourceIps?.[0],
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
    raw,
  });
  return { ok: true, event };
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
 * True for a Cloud Logging entry whose `protoPayload` is a Kubernetes audit record
 * (`serviceName: k8s.io`).
 */
export function isGkeAuditEntry(o: JsonObject): boolean {
  const p = obj(o, 'protoPayload');
  return p !== undefined && str(p, 'serviceName') === 'k8s.io';
}

/**
 * Maps a GKE Cloud Logging entry to API Activity. GKE does not keep the apiserver's
 * record; it renders it as a google.cloud.audit.AuditLog: `methodName`
 * `io.k8s.core.v1.pods.exec.create`, `resourceName` `core/v1/namespaces/shop/pods/web-1/exec`,
 * `authenticationInfo.principalEmail`, `requestMetadata.callerIp`, `status.code` (a
 * google.rpc code: 0 OK, 7 PERMISSION_DENIED, 16 UNAUTHENTICATED). The verb is the last
 * segment of `methodName`; `exec.create` style methods name a subresource.
 */
export function normaliseGkeAudit(o: JsonObject, raw: unknown): NormaliseResult {
  const p = obj(o, 'protoPayload') as JsonObject;
  const method = nonEmpty(p, 'methodName');
  if (method === undefined) return missing('protoPayload.methodName', GKE);
  const resourceName = str(p, 'resourceName');
  if (resourceName === undefined) return missing('protoPayload.resourceName', GKE);
  const time = parseTime(o['timestamp']) ?? parseTime(o['receiveTimestamp']);
  if (time === undefined) return missing('timestamp', GKE);
  const id = nonEmpty(o, 'insertId') ?? nonEmpty(obj(o, 'operation'), 'id');
  if (id === undefined) return missing('insertId', GKE);

  const segments = method.split('.');
  const verb = segments[segments.length - 1] ?? method;
  const auth = obj(p, 'authenticationInfo');
  const meta = obj(p, 'requestMetadata');
  const rpcCode = int(obj(p, 'status'), 'code');
  const authz = Array.isArray(p['authorizationInfo']) ? p['authorizationInfo'][0] : undefined;
  const granted = isObject(authz) ? authz['granted'] : undefined;
  const code = rpcCode === undefined ? undefined : httpOfRpc(rpcCode);
  const decision = decisionOf(
    granted === true ? 'allow' : granted === false ? 'forbid' : undefined,
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
      user: str(auth, 'principalEmail'),
      userAgent: str(meta, 'callerSuppliedUserAgent'),
      sourceIp: str(meta, 'callerIp'),
    }),
    resource: resourceOfGkeName(resourceName),
    outcome: code === undefined && decision === undefined ? undefined : compact({ code, decision }),
    tags: [],
    raw,
  });
  return { ok: true, event };
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

/**
 * Format detection and normalisation: any supported raw record → {@link SecurityEvent}.
 *
 * Detection, per record, in this order:
 * 1. `apiVersion: audit.k8s.io/*` + `kind: Event` → Kubernetes audit;
 * 2. a cloud wrapper around one audit event — EKS CloudWatch Logs (`message` or
 *    `@message` holding the audit JSON as a string), AKS diagnostic settings
 *    (`category: kube-audit*`, `properties.log` string), GKE Cloud Logging
 *    (`protoPayload.serviceName: k8s.io`);
 * 3. `rule` (string) → Falco / Falcosidekick;
 * 4. `class_uid` → OCSF.
 *
 * Batches (a kube-apiserver webhook `EventList`, a CloudWatch Logs subscription
 * `logEvents[]`, an AKS `records[]`) are expanded first by {@link expandRecords}.
 */
import type { SecurityEvent } from './security-event.js';
import { type NormaliseResult, reject } from './result.js';
import { type JsonObject, isObject, obj, str } from './fields.js';
import {
  type NormaliseOptions,
  isGkeAuditEntry,
  isK8sAuditEvent,
  normaliseGkeAudit,
  normaliseK8sAudit,
} from './k8s-audit.js';
import { isFalcoAlert, normaliseFalco } from './falco.js';
import { isOcsfEvent, normaliseOcsf } from './ocsf.js';

/**
 * Normalises one raw record. Never throws on bad input: a record that is not an object,
 * has no recognisable format, or lacks a required field comes back as
 * `{ ok: false, code, reason }` with a reason that names the field.
 */
export function normaliseEvent(raw: unknown, options: NormaliseOptions = {}): NormaliseResult {
  if (!isObject(raw)) {
    return reject(
      'UNRECOGNISED_FORMAT',
      `unrecognised format: expected a JSON object, got ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}`,
    );
  }
  if (isK8sAuditEvent(raw)) return normaliseK8sAudit(raw, raw, undefined, options);
  const wrapped = unwrapCloudAudit(raw);
  if (wrapped !== undefined) {
    if (!wrapped.ok) return wrapped;
    return normaliseK8sAudit(wrapped.inner, raw, wrapped.origin, options);
  }
  if (isGkeAuditEntry(raw)) return normaliseGkeAudit(raw, raw, options);
  if (isFalcoAlert(raw)) return normaliseFalco(raw, raw);
  if (isOcsfEvent(raw)) return normaliseOcsf(raw, raw);
  if (typeof raw['apiVersion'] === 'string')
    return reject(
      'UNRECOGNISED_FORMAT',
      `unrecognised format: apiVersion "${truncate(raw['apiVersion'])}" kind "${truncate(String(raw['kind']))}" is not an audit.k8s.io Event`,
      'apiVersion',
    );
  return reject('UNRECOGNISED_FORMAT', 'unrecognised format: no apiVersion, rule or class_uid');
}

type Unwrapped =
  | { ok: true; inner: JsonObject; origin: SecurityEvent['origin'] }
  | Extract<NormaliseResult, { ok: false }>;

/** Returns the inner audit event of an EKS or AKS wrapper, or undefined when `o` is not one. */
function unwrapCloudAudit(o: JsonObject): Unwrapped | undefined {
  // AKS: diagnostic-settings record, category kube-audit or kube-audit-admin.
  const category = str(o, 'category');
  if (category !== undefined && category.startsWith('kube-audit')) {
    // Diagnostic settings write the audit event as a JSON string; some exports
    // (Event Hub consumers that re-serialise) have already parsed it into an object.
    const props = obj(o, 'properties');
    const log = props?.['log'];
    if (typeof log !== 'string' && !isObject(log))
      return reject(
        'INVALID_EVENT',
        'AKS kube-audit record: missing required field "properties.log"',
        'properties.log',
      ) as Unwrapped;
    return parseInner(
      log,
      'AKS kube-audit record "properties.log"',
      'properties.log',
      'aks-diagnostics',
    );
  }
  // EKS: CloudWatch Logs event (subscription `message`, Insights/export `@message`),
  // log stream kube-apiserver-audit-*. Only unwrap when the message looks like an audit
  // event (trimmed ones may have lost apiVersion, never the verb).
  const message = o['message'] ?? o['@message'];
  if (
    typeof message === 'string' &&
    message.startsWith('{') &&
    /"verb"|"audit\.k8s\.io\//.test(message)
  )
    return parseInner(
      message,
      'EKS CloudWatch "message"',
      o['message'] === undefined ? '@message' : 'message',
      'eks-cloudwatch',
    );
  if (isObject(message) && isK8sAuditEvent(message))
    return { ok: true, inner: message, origin: 'eks-cloudwatch' };
  return undefined;
}

function parseInner(
  text: string | JsonObject,
  where: string,
  field: string,
  origin: SecurityEvent['origin'],
): Unwrapped {
  let inner: unknown = text;
  if (typeof text === 'string') {
    try {
      inner = JSON.parse(text);
    } catch (error) {
      return reject(
        'MALFORMED_JSON',
        `${where} is not JSON: ${(error as Error).message}`,
        field,
      ) as Unwrapped;
    }
  }
  // A trimmed event that kept its verb and object but lost the user is an audit event
  // that cannot be attributed: say so (counted as such), not "no audit event".
  if (
    isObject(inner) &&
    !isK8sAuditEvent(inner) &&
    inner['kind'] === 'Event' &&
    typeof inner['verb'] === 'string'
  )
    return { ok: true, inner, origin };
  if (!isObject(inner) || !isK8sAuditEvent(inner))
    return reject(
      'INVALID_EVENT',
      `${where} does not hold an audit.k8s.io Event`,
      field,
    ) as Unwrapped;
  return { ok: true, inner, origin };
}

/**
 * Expands a batch record into its members: a kube-apiserver audit webhook `EventList`
 * (`items`), a CloudWatch Logs subscription payload (`logEvents[].message`, each
 * re-wrapped so its origin is kept) and an AKS Event Hub payload (`records`). Anything
 * else is returned as the single record.
 */
export function expandRecords(raw: unknown): unknown[] {
  if (!isObject(raw)) return [raw];
  if (raw['kind'] === 'EventList' && Array.isArray(raw['items'])) return raw['items'];
  if (Array.isArray(raw['logEvents']) && raw['messageType'] === 'DATA_MESSAGE') {
    return raw['logEvents'].map((e: unknown) =>
      isObject(e) ? { ...e, logGroup: raw['logGroup'], logStream: raw['logStream'] } : e,
    );
  }
  if (Array.isArray(raw['records'])) return raw['records'];
  return [raw];
}

function truncate(s: string, max = 60): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

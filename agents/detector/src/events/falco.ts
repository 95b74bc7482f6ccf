/**
 * Falco JSON alerts (`json_output: true`) and Falcosidekick's forwarded payload (the
 * same shape plus `uuid`) → {@link SecurityEvent} with OCSF class Detection Finding
 * (2004): Falco has already judged the event against a rule.
 *
 * Required: `rule`, `priority` (Emergency … Debug), `time` (RFC 3339, nanoseconds).
 * `output_fields` supplies the workload (`k8s.ns.name`, `k8s.pod.name`, `container.*`),
 * the process (`proc.*`, `user.name`), the connection (`fd.cip/cport` client,
 * `fd.sip/sport` server, `fd.l4proto`) and, for the k8saudit plugin, the API actor and
 * target (`ka.*`).
 */
import type { SecurityEvent } from './security-event.js';
import { observedAndClaimed } from './source-address.js';
import { type NormaliseResult, invalid, missing } from './result.js';
import {
  type JsonObject,
  compact,
  nonEmpty,
  obj,
  parseTime,
  port,
  str,
  strings,
} from './fields.js';
import { recordDigest } from './fields.js';

const FORMAT = 'falco';

/** Falco priority → OCSF severity_id (1 informational … 6 fatal). */
const SEVERITY: Readonly<Record<string, number>> = {
  emergency: 6,
  alert: 5,
  critical: 5,
  error: 4,
  warning: 3,
  notice: 2,
  informational: 1,
  info: 1,
  debug: 1,
};

export function isFalcoAlert(o: JsonObject): boolean {
  return typeof o['rule'] === 'string';
}

export function normaliseFalco(o: JsonObject, raw: unknown): NormaliseResult {
  const rule = nonEmpty(o, 'rule');
  if (rule === undefined) return missing('rule', FORMAT);
  const priority = str(o, 'priority');
  if (priority === undefined) return missing('priority', FORMAT);
  const severityId = SEVERITY[priority.toLowerCase()];
  if (severityId === undefined)
    return invalid('priority', 'a Falco priority (Emergency … Debug)', FORMAT);
  if (o['time'] === undefined) return missing('time', FORMAT);
  const time = parseTime(o['time']);
  if (time === undefined) return invalid('time', 'an RFC 3339 timestamp', FORMAT);
  const f = obj(o, 'output_fields') ?? {};

  const uuid = nonEmpty(o, 'uuid');
  const repo = fieldStr(f, 'container.image.repository');
  const tag = fieldStr(f, 'container.image.tag');
  const image =
    fieldStr(f, 'container.image') ??
    (repo === undefined ? undefined : tag ? `${repo}:${tag}` : repo);
  const dstIp = fieldStr(f, 'fd.sip') ?? fieldStr(f, 'fd.rip');
  const targetResource = fieldStr(f, 'ka.target.resource');

  const event: SecurityEvent = compact({
    id: uuid ?? recordDigest(raw),
    time,
    format: 'falco',
    origin: uuid === undefined ? undefined : 'falcosidekick',
    classUid: 2004,
    activity: rule,
    severityId,
    actor: compact({
      user: fieldStr(f, 'ka.user.name') ?? fieldStr(f, 'user.name'),
      ...observedAndClaimed(
        fieldStr(f, 'ka.sourceips')
          ?.split(',')
          .map((a) => a.trim())
          .filter((a) => a !== ''),
      ),
      userAgent: fieldStr(f, 'ka.useragent'),
    }),
    network:
      dstIp === undefined && f['fd.sport'] === undefined
        ? undefined
        : compact({
            srcIp: fieldStr(f, 'fd.cip') ?? fieldStr(f, 'fd.lip'),
            srcPort: port(f['fd.cport']),
            dstIp,
            dstPort: port(f['fd.sport'] ?? f['fd.rport']),
            protocol: fieldStr(f, 'fd.l4proto'),
          }),
    resource:
      targetResource === undefined
        ? undefined
        : compact({
            type: targetResource,
            namespace: fieldStr(f, 'ka.target.namespace'),
            name: fieldStr(f, 'ka.target.name'),
            subresource: fieldStr(f, 'ka.target.subresource'),
          }),
    workload: emptyToUndefined(
      compact({
        namespace: fieldStr(f, 'k8s.ns.name'),
        pod: fieldStr(f, 'k8s.pod.name'),
        container: fieldStr(f, 'container.name'),
        image,
        node: nonEmpty(o, 'hostname'),
      }),
    ),
    process: emptyToUndefined(
      compact({
        name: fieldStr(f, 'proc.name'),
        cmdline: fieldStr(f, 'proc.cmdline'),
        parentName: fieldStr(f, 'proc.pname'),
        user: fieldStr(f, 'user.name'),
      }),
    ),
    rule,
    tags: strings(o, 'tags') ?? [],
    signal: isFalcoOperational(o, rule) ? 'health' : undefined,
    raw,
  });
  return { ok: true, event };
}

/**
 * Falco's own operational messages — "Falco internal: syscall event drop", "Falco
 * internal: metrics snapshot" — arrive as alerts with `source: internal`: they say
 * Falco is losing events or report its counters, nothing about the workloads.
 */
export function isFalcoOperational(o: JsonObject, rule: string): boolean {
  return str(o, 'source') === 'internal' || rule.startsWith('Falco internal:');
}

/** Falco writes `<NA>` for fields it could not resolve. */
function fieldStr(f: JsonObject, key: string): string | undefined {
  const v = f[key];
  if (typeof v === 'string') return v.length === 0 || v === '<NA>' ? undefined : v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

function emptyToUndefined<T extends object>(o: T): T | undefined {
  return Object.keys(o).length === 0 ? undefined : o;
}

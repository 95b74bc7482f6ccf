/**
 * OCSF 1.x events → {@link SecurityEvent}. Four classes are understood: API Activity
 * (6003), Process Activity (1007), Network Activity (4001) and Detection Finding (2004).
 *
 * Every record must carry the base attributes OCSF marks required: `activity_id`,
 * `category_uid`, `class_uid`, `metadata.product`, `metadata.version` (a 1.x schema),
 * `severity_id` (0–6 or 99), `time` (epoch ms) and `type_uid`, and they must agree:
 * `class_uid = category_uid * 1000 + n`, `type_uid = class_uid * 100 + activity_id`.
 * Detection Finding also requires `finding_info.uid`.
 *
 * Kubernetes placement is read where producers put it: the `container` object
 * (`name`, `image.name`, `image.tag`), `device.hostname` for the node, and — OCSF has no
 * pod or namespace attribute — `unmapped["k8s.ns.name"]` / `unmapped["k8s.pod.name"]`
 * (Falco's field names) or `resources[].namespace`.
 */
import type { OcsfClassUid, SecurityEvent } from './security-event.js';
import { type NormaliseResult, invalid, missing, reject } from './result.js';
import { recordDigest } from './fields.js';
import {
  type JsonObject,
  compact,
  int,
  isObject,
  nonEmpty,
  num,
  obj,
  port,
  str,
} from './fields.js';

const FORMAT = 'OCSF';

const ACTIVITY_NAMES: Readonly<Record<OcsfClassUid, Readonly<Record<number, string>>>> = {
  6003: { 0: 'unknown', 1: 'create', 2: 'read', 3: 'update', 4: 'delete', 99: 'other' },
  1007: {
    0: 'unknown',
    1: 'launch',
    2: 'terminate',
    3: 'open',
    4: 'inject',
    5: 'set-user-id',
    99: 'other',
  },
  4001: {
    0: 'unknown',
    1: 'open',
    2: 'close',
    3: 'reset',
    4: 'fail',
    5: 'refuse',
    6: 'traffic',
    7: 'listen',
    99: 'other',
  },
  2004: { 0: 'unknown', 1: 'create', 2: 'update', 3: 'close', 99: 'other' },
};

export const SUPPORTED_OCSF_CLASSES: readonly OcsfClassUid[] = [6003, 1007, 4001, 2004];

export function isOcsfEvent(o: JsonObject): boolean {
  return o['class_uid'] !== undefined;
}

export function normaliseOcsf(o: JsonObject, raw: unknown): NormaliseResult {
  const classUid = int(o, 'class_uid');
  if (classUid === undefined) return invalid('class_uid', 'an integer', FORMAT);
  if (!(SUPPORTED_OCSF_CLASSES as readonly number[]).includes(classUid))
    return reject(
      'UNSUPPORTED_CLASS',
      `OCSF: unsupported class_uid ${classUid} (supported: ${SUPPORTED_OCSF_CLASSES.join(', ')})`,
      'class_uid',
    );
  const cls = classUid as OcsfClassUid;
  const categoryUid = int(o, 'category_uid');
  if (categoryUid === undefined) return missing('category_uid', FORMAT);
  if (Math.floor(classUid / 1000) !== categoryUid)
    return invalid(
      'category_uid',
      `${Math.floor(classUid / 1000)} for class_uid ${classUid}`,
      FORMAT,
    );
  const activityId = int(o, 'activity_id');
  if (activityId === undefined) return missing('activity_id', FORMAT);
  const typeUid = int(o, 'type_uid');
  if (typeUid === undefined) return missing('type_uid', FORMAT);
  if (typeUid !== classUid * 100 + activityId)
    return invalid(
      'type_uid',
      `class_uid * 100 + activity_id (${classUid * 100 + activityId})`,
      FORMAT,
    );
  const severityId = int(o, 'severity_id');
  if (severityId === undefined) return missing('severity_id', FORMAT);
  if (!((severityId >= 0 && severityId <= 6) || severityId === 99))
    return invalid('severity_id', '0–6 or 99', FORMAT);
  const time = num(o, 'time');
  if (time === undefined) return missing('time', FORMAT);
  const metadata = obj(o, 'metadata');
  if (metadata === undefined) return missing('metadata', FORMAT);
  const product = obj(metadata, 'product');
  if (product === undefined) return missing('metadata.product', FORMAT);
  const version = str(metadata, 'version');
  if (version === undefined) return missing('metadata.version', FORMAT);
  if (!version.startsWith('1.'))
    return invalid('metadata.version', 'an OCSF 1.x schema version', FORMAT);
  const findingInfo = obj(o, 'finding_info');
  if (cls === 2004) {
    if (findingInfo === undefined) return missing('finding_info', FORMAT);
    if (nonEmpty(findingInfo, 'uid') === undefined) return missing('finding_info.uid', FORMAT);
  }

  const actor = obj(o, 'actor');
  const actorUser = obj(actor, 'user');
  const api = obj(o, 'api');
  const srcEndpoint = obj(o, 'src_endpoint');
  const dstEndpoint = obj(o, 'dst_endpoint');
  const unmapped = obj(o, 'unmapped');
  const container = obj(o, 'container');
  const image = obj(container, 'image');
  const firstResource =
    Array.isArray(o['resources']) && isObject(o['resources'][0]) ? o['resources'][0] : undefined;
  const process = obj(o, 'process') ?? obj(actor, 'process');
  const processUser = obj(process, 'user');
  const parent = obj(process, 'parent_process');
  const statusCode = str(o, 'status_code');
  const httpStatus =
    int(obj(obj(api, 'response'), 'error') ?? undefined, 'code') ??
    (statusCode !== undefined && /^\d{3}$/.test(statusCode) ? Number(statusCode) : undefined);

  const imageName = str(image, 'name');
  const imageTag = str(image, 'tag');
  const title = str(findingInfo, 'title');
  const groups = Array.isArray(actorUser?.['groups'])
    ? (actorUser['groups'] as unknown[]).flatMap((g) =>
        isObject(g) && typeof g['name'] === 'string' ? [g['name']] : [],
      )
    : undefined;

  const activity =
    (cls === 6003 ? nonEmpty(api, 'operation') : undefined) ??
    ACTIVITY_NAMES[cls][activityId] ??
    nonEmpty(o, 'activity_name') ??
    String(activityId);

  const event: SecurityEvent = compact({
    id: nonEmpty(metadata, 'uid') ?? recordDigest(raw),
    time,
    format: 'ocsf',
    classUid: cls,
    activity,
    severityId: severityId === 99 ? 0 : severityId,
    actor: compact({
      user: str(actorUser, 'name') ?? str(actorUser, 'uid'),
      groups,
      userAgent: str(obj(o, 'http_request'), 'user_agent'),
      sourceIp: cls === 6003 ? str(srcEndpoint, 'ip') : undefined,
    }),
    network:
      cls === 4001
        ? compact({
            srcIp: str(srcEndpoint, 'ip'),
            srcPort: port(srcEndpoint?.['port']),
            dstIp: str(dstEndpoint, 'ip'),
            dstPort: port(dstEndpoint?.['port']),
            protocol: str(obj(o, 'connection_info'), 'protocol_name'),
            bytesOut: num(obj(o, 'traffic'), 'bytes_out'),
            bytesIn: num(obj(o, 'traffic'), 'bytes_in'),
          })
        : undefined,
    resource:
      firstResource === undefined || typeof firstResource['type'] !== 'string'
        ? undefined
        : compact({
            type: firstResource['type'],
            name: str(firstResource, 'name'),
            namespace: str(firstResource, 'namespace'),
          }),
    workload:
      container === undefined && unmapped === undefined && obj(o, 'device') === undefined
        ? undefined
        : compact({
            namespace: str(unmapped, 'k8s.ns.name') ?? str(firstResource, 'namespace'),
            pod: str(unmapped, 'k8s.pod.name'),
            container: str(container, 'name'),
            image:
              imageName === undefined
                ? undefined
                : imageTag
                  ? `${imageName}:${imageTag}`
                  : imageName,
            node: str(obj(o, 'device'), 'hostname'),
          }),
    process:
      process === undefined
        ? undefined
        : compact({
            name: str(process, 'name'),
            cmdline: str(process, 'cmd_line'),
            parentName: str(parent, 'name'),
            user: str(processUser, 'name'),
          }),
    outcome: httpStatus === undefined ? undefined : { code: httpStatus },
    rule: cls === 2004 ? (title ?? str(obj(findingInfo, 'analytic'), 'name')) : undefined,
    tags: attackTags(findingInfo, o),
    raw,
  });
  return { ok: true, event };
}

/** MITRE technique ids from `finding_info.attacks[]` (or the older top-level `attacks[]`). */
function attackTags(findingInfo: JsonObject | undefined, o: JsonObject): string[] {
  const attacks = findingInfo?.['attacks'] ?? o['attacks'];
  if (!Array.isArray(attacks)) return [];
  const out: string[] = [];
  for (const a of attacks) {
    const uid = isObject(a) ? str(obj(a, 'technique'), 'uid') : undefined;
    if (uid !== undefined) out.push(uid);
  }
  return out;
}

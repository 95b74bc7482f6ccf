import type { ExecutionRecord } from './store/execution-store.js';

/** OCSF Remediation activity ids (D3FEND tactics): Isolate, Evict, Restore, Harden, Other. */
const ACTIVITY = { isolate: 1, evict: 2, restore: 3, harden: 4, other: 99 } as const;

/** Per action type: OCSF class (7001 generic, 7003 process, 7004 network), activity, D3FEND countermeasure. */
const MAPPING: Record<
  string,
  { classUid: number; activity: keyof typeof ACTIVITY; d3fend?: [string, string] }
> = {
  'isolate-pod': { classUid: 7004, activity: 'isolate', d3fend: ['D3-NI', 'Network Isolation'] },
  'block-ip': {
    classUid: 7004,
    activity: 'isolate',
    d3fend: ['D3-OTF', 'Outbound Traffic Filtering'],
  },
  'scale-to-zero': { classUid: 7003, activity: 'evict', d3fend: ['D3-PT', 'Process Termination'] },
  'delete-pod': { classUid: 7003, activity: 'evict', d3fend: ['D3-PT', 'Process Termination'] },
  'revoke-sa-token': {
    classUid: 7001,
    activity: 'evict',
    d3fend: ['D3-CR', 'Credential Revoking'],
  },
  'cordon-node': { classUid: 7001, activity: 'isolate' },
  'disable-user': { classUid: 7001, activity: 'evict', d3fend: ['D3-AL', 'Account Locking'] },
  'release-pod': { classUid: 7004, activity: 'restore' },
  'unblock-ip': { classUid: 7004, activity: 'restore' },
  'scale-workload': { classUid: 7003, activity: 'restore' },
  'uncordon-node': { classUid: 7001, activity: 'restore' },
  'enable-user': { classUid: 7001, activity: 'restore', d3fend: ['D3-AU', 'Account Unlocking'] },
};

/**
 * An execution as an OCSF Remediation Activity event (class 7001/7003/7004, category 7),
 * the natural export shape for executed actions: `type_uid = class_uid * 100 +
 * activity_id`, `status_id` 1 success / 2 failure, `command_uid` the execution id,
 * `countermeasures` the D3FEND technique. Unknown types export as class 7001, Other.
 */
export function toOcsfRemediationActivity(
  record: ExecutionRecord,
  product: { name: string; version: string } = { name: 'Vigil', version: '0.1.0' },
): Record<string, unknown> {
  const m = MAPPING[record.action.type] ?? { classUid: 7001, activity: 'other' as const };
  const activityId = ACTIVITY[m.activity];
  const status =
    record.state === 'done'
      ? { status_id: 1, status: 'Success' }
      : record.state === 'failed'
        ? { status_id: 2, status: 'Failure' }
        : { status_id: 0, status: 'Unknown' };
  return {
    category_uid: 7,
    class_uid: m.classUid,
    activity_id: activityId,
    activity_name:
      m.activity === 'other'
        ? record.action.type
        : m.activity[0]?.toUpperCase() + m.activity.slice(1),
    type_uid: m.classUid * 100 + activityId,
    severity_id: 1,
    time: Date.parse(record.updatedAt),
    ...status,
    command_uid: record.id,
    metadata: {
      product: { name: product.name, vendor_name: 'Vigil' },
      version: '1.3.0',
      uid: record.id,
    },
    ...(m.d3fend
      ? { countermeasures: [{ d3fend: { technique: { uid: m.d3fend[0], name: m.d3fend[1] } } }] }
      : {}),
    unmapped: {
      action: record.action,
      action_digest: record.actionDigest,
      executor: record.executor,
      authorised_by: record.authorisation.by,
      ...(record.undoOf ? { undo_of: record.undoOf } : {}),
      ...(record.error ? { error: record.error } : {}),
    },
  };
}

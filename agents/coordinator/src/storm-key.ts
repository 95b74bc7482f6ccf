import type { Finding } from '@vigil/soc';

/**
 * The storm key of a finding: what fired (its signature) on what kind of entity. Findings
 * with one storm key inside the rollup window are one storm and roll up into one incident.
 * Nothing here knows a particular rule set or estate: the key is built from the fields
 * every normalised finding has.
 */
export function stormKeyOf(finding: Finding): string {
  return `${signatureOf(finding)}|${entityClassOf(finding)}`;
}

const TECHNIQUE = /^T\d{4}(\.\d{3})?$/;

/**
 * What fired, without where: the ids of the detection rules that fired, else the source's
 * own rule (Falco `rule`, an OCSF finding title), else the ATT&CK technique tags, else (a
 * forest-only anomaly) the event's format, class and activity with the resource or
 * process acted on, so two unusual processes in one pod stay two signatures.
 */
export function signatureOf(finding: Finding): string {
  const ruleIds = finding.detection?.ruleHits.map((h) => h.id) ?? [];
  if (ruleIds.length > 0) return `rules:${[...new Set(ruleIds)].sort().join(',')}`;
  const event = finding.event as Finding['event'] & {
    rule?: unknown;
    resource?: { resource?: unknown };
    process?: { name?: unknown };
  };
  if (typeof event.rule === 'string' && event.rule !== '') return `rule:${event.rule}`;
  const techniques = event.tags.filter((t) => TECHNIQUE.test(t));
  if (techniques.length > 0) return `techniques:${[...new Set(techniques)].sort().join(',')}`;
  const object = [event.resource?.resource, event.process?.name].find(
    (v): v is string => typeof v === 'string' && v !== '',
  );
  return `activity:${event.format}/${event.classUid}/${event.activity}${object ? `/${object}` : ''}`;
}

/**
 * Generated pod-name suffixes: `<owner>-<hash>-<5>` (Deployment), `<owner>-<5>` (DaemonSet,
 * Job), `<owner>-<n>` (StatefulSet). Kubernetes draws generated names from an alphabet
 * without vowels (`rand.SafeEncodeString`), so a plain name such as `api-proxy` keeps its tail.
 */
const GENERATED = '[bcdfghjklmnpqrstvwxz2456789]';
const POD_SUFFIXES = [
  new RegExp(`-${GENERATED}{6,10}-${GENERATED}{5}$`),
  new RegExp(`-${GENERATED}{5}$`),
  /-\d+$/,
];

/**
 * The kind of entity it happened to: the workload's namespace and owner (a pod name
 * without the generated ReplicaSet/DaemonSet/StatefulSet suffix, so every replica of one
 * Deployment is one class), else the actor, else the /24 of an IPv4 address (an IPv6
 * address's /64; any other address itself).
 */
export function entityClassOf(finding: Finding): string {
  const { workload, actor, addresses } = finding.entities;
  if (workload !== undefined) {
    const slash = workload.indexOf('/');
    const namespace = workload.slice(0, slash);
    const pod = workload.slice(slash + 1);
    const suffix = POD_SUFFIXES.find((s) => s.test(pod));
    return `workload:${namespace}/${suffix ? pod.replace(suffix, '') : pod}`;
  }
  if (actor !== undefined) return `actor:${actor}`;
  const address = addresses[0];
  if (address === undefined) return 'none';
  const v4 = /^(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}$/.exec(address);
  if (v4) return `network:${v4[1]}.0/24`;
  const v6 = /^([0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}):/i.exec(address);
  return `network:${v6 ? `${v6[1]!.toLowerCase()}::/64` : address}`;
}

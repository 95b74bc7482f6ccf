import type { Finding } from '@vigil/soc';

/**
 * The storm key of a finding: what fired (its signature) on what kind of entity. Findings
 * with one storm key inside the rollup window are one storm and roll up into one incident.
 *
 * - Signature: the ids of the detection rules that fired, else the source's own rule
 *   (Falco `rule`), else the ATT&CK technique tags, else the event's format, class and
 *   activity (a forest-only anomaly).
 * - Entity class: the workload's namespace and owner (a pod name without the generated
 *   ReplicaSet/DaemonSet/StatefulSet suffix, so every replica of one Deployment is one
 *   class), else the actor, else the /24 of an IPv4 address (the address itself otherwise).
 */
export function stormKeyOf(finding: Finding): string {
  return `${signatureOf(finding)}|${entityClassOf(finding)}`;
}

const TECHNIQUE = /^T\d{4}(\.\d{3})?$/;

function signatureOf(finding: Finding): string {
  const ruleIds = finding.detection?.ruleHits.map((h) => h.id) ?? [];
  if (ruleIds.length > 0) return `rules:${[...new Set(ruleIds)].sort().join(',')}`;
  const rule = (finding.event as { rule?: unknown }).rule;
  if (typeof rule === 'string' && rule !== '') return `rule:${rule}`;
  const techniques = finding.event.tags.filter((t) => TECHNIQUE.test(t));
  if (techniques.length > 0) return `techniques:${[...new Set(techniques)].sort().join(',')}`;
  const { format, classUid, activity } = finding.event;
  return `activity:${format}/${classUid}/${activity}`;
}

/** `<owner>-<hash>-<5>` (Deployment), `<owner>-<5>` (DaemonSet, Job), `<owner>-<n>` (StatefulSet). */
const POD_SUFFIXES = [/-[a-z0-9]{6,10}-[a-z0-9]{5}$/, /-[a-z0-9]{5}$/, /-\d+$/];

function entityClassOf(finding: Finding): string {
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
  return `network:${v4 ? `${v4[1]}.0/24` : address}`;
}

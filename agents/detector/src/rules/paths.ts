/**
 * Field paths over a normalised event, compiled once into visitors. A path is dotted
 * (`resource.type`, `requestObject.spec.hostPID`); wherever a step meets an array, every
 * element is searched, so `tags` or `requestObject.rules.verbs` match when any element does.
 *
 * Two virtual roots reach into workload specs whatever object carries them:
 * - `podSpec.…` — the pod spec of the `requestObject`: a Pod's `spec`, a workload
 *   template's `spec.template.spec` (Deployment, DaemonSet, StatefulSet, ReplicaSet, Job),
 *   a CronJob's `spec.jobTemplate.spec.template.spec`;
 * - `container.…` — every container of those specs: `containers`, `initContainers` and
 *   `ephemeralContainers`.
 */

/** Calls `visit` on each value the path reaches until one returns true; returns whether one did. */
export type PathVisitor = (root: unknown, visit: (value: unknown) => boolean) => boolean;

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

/** Compiles a dotted path (see the module doc). */
export function compilePath(path: string): PathVisitor {
  const steps = path.split('.');
  const [head, ...rest] = steps;
  if (head === 'podSpec') {
    const tail = walker(rest);
    return (root, visit) => somePodSpec(root, (spec) => tail(spec, visit));
  }
  if (head === 'container') {
    const tail = walker(rest);
    return (root, visit) =>
      somePodSpec(root, (spec) => CONTAINER_LISTS.some((list) => tail(field(spec, list), visit)));
  }
  return walker(steps);
}

function walker(steps: readonly string[]): PathVisitor {
  const walk = (value: unknown, i: number, visit: (value: unknown) => boolean): boolean => {
    if (Array.isArray(value)) return value.some((v) => walk(v, i, visit));
    if (i === steps.length) return value !== undefined && value !== null && visit(value);
    return walk(field(value, steps[i]!), i + 1, visit);
  };
  return (root, visit) => walk(root, 0, visit);
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function somePodSpec(event: unknown, visit: (spec: unknown) => boolean): boolean {
  const spec = field(field(event, 'requestObject'), 'spec');
  if (spec === undefined) return false;
  const template = field(field(spec, 'template'), 'spec');
  if (template !== undefined) return visit(template);
  const job = field(field(field(field(spec, 'jobTemplate'), 'spec'), 'template'), 'spec');
  if (job !== undefined) return visit(job);
  return visit(spec);
}

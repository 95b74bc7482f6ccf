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

/**
 * Calls `visit` on each value the path reaches until one returns true; returns whether one
 * did. `arg` is handed to `visit` unchanged, so a caller needing per-event state (the rule
 * context of a `some` quantifier) does not allocate a closure per event.
 */
export type PathVisitor = <A>(
  root: unknown,
  visit: (value: unknown, arg: A) => boolean,
  arg?: A,
) => boolean;

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

/** Compiles a dotted path (see the module doc). */
export function compilePath(path: string): PathVisitor {
  const steps = path.split('.');
  const [head, ...rest] = steps;
  // Written as loops without per-call closures: this runs for every rule on every event.
  if (head === 'podSpec') {
    const tail = walker(rest);
    return (root, visit, arg) => {
      const spec = podSpecOf(root);
      return spec !== undefined && tail(spec, visit, arg);
    };
  }
  if (head === 'container') {
    const tail = walker(rest);
    return (root, visit, arg) => {
      const spec = podSpecOf(root);
      if (spec === undefined) return false;
      for (const list of CONTAINER_LISTS) if (tail(field(spec, list), visit, arg)) return true;
      return false;
    };
  }
  return walker(steps);
}

/**
 * Compiles a dotted path read literally from its root, without the virtual roots: the
 * fields of a `some` quantifier's `where`, which are relative to one element.
 */
export function compileRelativePath(path: string): PathVisitor {
  return walker(path.split('.'));
}

function walker(steps: readonly string[]): PathVisitor {
  const n = steps.length;
  const walk = (
    start: unknown,
    from: number,
    visit: (value: unknown, arg: unknown) => boolean,
    arg: unknown,
  ): boolean => {
    let value = start;
    for (let i = from; i < n; i++) {
      if (Array.isArray(value)) {
        for (const v of value) if (walk(v, i, visit, arg)) return true;
        return false;
      }
      if (typeof value !== 'object' || value === null) return false;
      value = (value as Record<string, unknown>)[steps[i]!];
    }
    if (Array.isArray(value)) {
      for (const v of value) if (walk(v, n, visit, arg)) return true;
      return false;
    }
    return value !== undefined && value !== null && visit(value, arg);
  };
  return (root, visit, arg) =>
    walk(root, 0, visit as (value: unknown, arg: unknown) => boolean, arg);
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function podSpecOf(event: unknown): unknown {
  const spec = field(field(event, 'requestObject'), 'spec');
  if (spec === undefined) return undefined;
  const template = field(field(spec, 'template'), 'spec');
  if (template !== undefined) return template;
  const job = field(field(field(field(spec, 'jobTemplate'), 'spec'), 'template'), 'spec');
  return job ?? spec;
}

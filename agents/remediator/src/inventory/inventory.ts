import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { RemediatorError, REMEDIATOR_ERROR_CODES, formatProblems, problemsOf } from '../errors.js';
import {
  inventoryDocumentSchema,
  type InventoryDocument,
  type LabelSelector,
  type NamespaceRecord,
  type NetworkPolicyRecord,
  type NodeRecord,
  type PodRecord,
  type ServiceAccountRecord,
  type UserRecord,
  type WorkloadKind,
  type WorkloadRecord,
} from './schema.js';

/**
 * A read-only view of a cluster (plus the identity provider's users), what actions are
 * planned and their blast radius computed against. Implementations: {@link InventorySnapshot}
 * over an {@link InventoryDocument} — from a YAML file, from the dry-run executor's state,
 * or read from the Kubernetes API.
 */
export interface Inventory {
  readonly name: string;
  namespaces(): readonly NamespaceRecord[];
  namespace(name: string): NamespaceRecord | undefined;
  workloads(namespace?: string): readonly WorkloadRecord[];
  workload(namespace: string, kind: WorkloadKind, name: string): WorkloadRecord | undefined;
  pods(filter?: PodFilter): readonly PodRecord[];
  pod(namespace: string, name: string): PodRecord | undefined;
  nodes(): readonly NodeRecord[];
  node(name: string): NodeRecord | undefined;
  serviceAccounts(namespace?: string): readonly ServiceAccountRecord[];
  serviceAccount(namespace: string, name: string): ServiceAccountRecord | undefined;
  users(): readonly UserRecord[];
  user(name: string): UserRecord | undefined;
  networkPolicies(namespace?: string): readonly NetworkPolicyRecord[];
  networkPolicy(namespace: string, name: string): NetworkPolicyRecord | undefined;
  /** A deep copy of the whole document (for persistence and diffing). */
  toDocument(): InventoryDocument;
}

export interface PodFilter {
  readonly namespace?: string;
  readonly node?: string;
  readonly owner?: { readonly kind: string; readonly name: string };
  readonly serviceAccount?: string;
  readonly selector?: LabelSelector;
  /** Pods having this IP. */
  readonly ip?: string;
}

/** Where an inventory comes from: a file, the dry-run executor's state, the Kubernetes API. */
export interface InventorySource {
  /** The current inventory. Throws `VIGIL_REMEDIATOR_INVENTORY` when it cannot be read. */
  inventory(options?: InventoryReadOptions): Promise<Inventory>;
  /** Releases what the source holds open (the Kubernetes source's watches). */
  close?(): Promise<void>;
}

export interface InventoryReadOptions {
  /**
   * Read the state as it is now, never a cache that may lag it: for what acts on the
   * result (an execution's plan, an undo right after the action, reconciling after a crash).
   */
  readonly consistent?: boolean;
}

/** True when `labels` satisfy `selector` (Kubernetes semantics: `{}` matches everything). */
export function selectorMatches(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, req.key);
    const value = labels[req.key];
    switch (req.operator) {
      case 'In':
        if (!has || !(req.values ?? []).includes(value as string)) return false;
        break;
      case 'NotIn':
        if (has && (req.values ?? []).includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

/** An immutable {@link Inventory} over a validated {@link InventoryDocument}. */
export class InventorySnapshot implements Inventory {
  readonly #doc: InventoryDocument;

  /**
   * A snapshot of a deep copy of `document`, so later changes to `document` do not show.
   * With `copy: false` it is a snapshot over `document` itself, saving the copy (an
   * O(inventory) cost per snapshot), for a caller that never changes `document` nor any
   * record in it afterwards — as the dry-run executor, which applies requests to a
   * `writableCopy` (inventory/apply.ts) that replaces records instead of changing them.
   */
  constructor(document: InventoryDocument, options: { readonly copy?: boolean } = {}) {
    this.#doc = options.copy === false ? document : structuredClone(document);
  }

  /**
   * Validates `value` against the inventory schema; throws `VIGIL_REMEDIATOR_INVALID`
   * naming every bad field (`pods[2].namespace: …`) with `source` in the message.
   */
  static parse(value: unknown, source = 'inventory'): InventorySnapshot {
    const parsed = inventoryDocumentSchema.safeParse(value);
    if (!parsed.success) {
      const problems = problemsOf(parsed.error.issues);
      throw new RemediatorError(
        REMEDIATOR_ERROR_CODES.invalid,
        `${source}: invalid inventory: ${formatProblems(problems)}`,
        { details: { source, problems } },
      );
    }
    const doc = parsed.data;
    const problems = referenceProblems(doc);
    if (problems.length > 0) {
      throw new RemediatorError(
        REMEDIATOR_ERROR_CODES.invalid,
        `${source}: inconsistent inventory: ${formatProblems(problems)}`,
        { details: { source, problems } },
      );
    }
    return new InventorySnapshot(doc);
  }

  get name(): string {
    return this.#doc.metadata.name;
  }
  namespaces(): readonly NamespaceRecord[] {
    return this.#doc.namespaces;
  }
  namespace(name: string): NamespaceRecord | undefined {
    return this.#doc.namespaces.find((n) => n.name === name);
  }
  workloads(namespace?: string): readonly WorkloadRecord[] {
    return this.#doc.workloads.filter((w) => namespace === undefined || w.namespace === namespace);
  }
  workload(namespace: string, kind: WorkloadKind, name: string): WorkloadRecord | undefined {
    return this.#doc.workloads.find(
      (w) => w.namespace === namespace && w.kind === kind && w.name === name,
    );
  }
  pods(filter: PodFilter = {}): readonly PodRecord[] {
    return this.#doc.pods.filter(
      (p) =>
        (filter.namespace === undefined || p.namespace === filter.namespace) &&
        (filter.node === undefined || p.node === filter.node) &&
        (filter.owner === undefined ||
          (p.owner?.kind === filter.owner.kind && p.owner.name === filter.owner.name)) &&
        (filter.serviceAccount === undefined || p.serviceAccount === filter.serviceAccount) &&
        (filter.selector === undefined || selectorMatches(filter.selector, p.labels)) &&
        (filter.ip === undefined || p.ips.includes(filter.ip)),
    );
  }
  pod(namespace: string, name: string): PodRecord | undefined {
    return this.#doc.pods.find((p) => p.namespace === namespace && p.name === name);
  }
  nodes(): readonly NodeRecord[] {
    return this.#doc.nodes;
  }
  node(name: string): NodeRecord | undefined {
    return this.#doc.nodes.find((n) => n.name === name);
  }
  serviceAccounts(namespace?: string): readonly ServiceAccountRecord[] {
    return this.#doc.serviceAccounts.filter(
      (s) => namespace === undefined || s.namespace === namespace,
    );
  }
  serviceAccount(namespace: string, name: string): ServiceAccountRecord | undefined {
    return this.#doc.serviceAccounts.find((s) => s.namespace === namespace && s.name === name);
  }
  users(): readonly UserRecord[] {
    return this.#doc.users;
  }
  user(name: string): UserRecord | undefined {
    return this.#doc.users.find((u) => u.name === name);
  }
  networkPolicies(namespace?: string): readonly NetworkPolicyRecord[] {
    return this.#doc.networkPolicies.filter(
      (n) => namespace === undefined || n.namespace === namespace,
    );
  }
  networkPolicy(namespace: string, name: string): NetworkPolicyRecord | undefined {
    return this.#doc.networkPolicies.find((n) => n.namespace === namespace && n.name === name);
  }
  toDocument(): InventoryDocument {
    return structuredClone(this.#doc);
  }
}

/** Cross-references a schema cannot check: pods' namespaces, nodes and owners exist; names are unique. */
function referenceProblems(doc: InventoryDocument): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const namespaces = new Set(doc.namespaces.map((n) => n.name));
  const nodes = new Set(doc.nodes.map((n) => n.name));
  const unique = (kind: string, keys: string[]): void => {
    const seen = new Set<string>();
    keys.forEach((key, i) => {
      if (seen.has(key)) problems.push({ path: `${kind}[${i}]`, message: `duplicate ${key}` });
      seen.add(key);
    });
  };
  unique(
    'namespaces',
    doc.namespaces.map((n) => n.name),
  );
  unique(
    'nodes',
    doc.nodes.map((n) => n.name),
  );
  unique(
    'pods',
    doc.pods.map((p) => `${p.namespace}/${p.name}`),
  );
  unique(
    'workloads',
    doc.workloads.map((w) => `${w.kind} ${w.namespace}/${w.name}`),
  );
  const inNamespace = (kind: string, items: readonly { namespace: string }[]): void => {
    items.forEach((item, i) => {
      if (!namespaces.has(item.namespace)) {
        problems.push({
          path: `${kind}[${i}].namespace`,
          message: `namespace "${item.namespace}" is not in namespaces`,
        });
      }
    });
  };
  inNamespace('workloads', doc.workloads);
  inNamespace('pods', doc.pods);
  inNamespace('serviceAccounts', doc.serviceAccounts);
  inNamespace('networkPolicies', doc.networkPolicies);
  doc.pods.forEach((pod, i) => {
    if (pod.node !== undefined && !nodes.has(pod.node)) {
      problems.push({ path: `pods[${i}].node`, message: `node "${pod.node}" is not in nodes` });
    }
    if (
      pod.owner !== undefined &&
      (['Deployment', 'StatefulSet', 'DaemonSet'] as string[]).includes(pod.owner.kind) &&
      !doc.workloads.some(
        (w) =>
          w.namespace === pod.namespace && w.kind === pod.owner?.kind && w.name === pod.owner.name,
      )
    ) {
      problems.push({
        path: `pods[${i}].owner`,
        message: `${pod.owner.kind} ${pod.namespace}/${pod.owner.name} is not in workloads`,
      });
    }
  });
  return problems;
}

/**
 * Reads an inventory YAML (or JSON) file. Throws `VIGIL_REMEDIATOR_INVENTORY` when the
 * file cannot be read or parsed, `VIGIL_REMEDIATOR_INVALID` naming each bad field.
 */
export async function loadInventoryFile(path: string): Promise<InventorySnapshot> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new RemediatorError(REMEDIATOR_ERROR_CODES.inventory, `${path}: cannot read inventory`, {
      cause,
    });
  }
  return parseInventoryYaml(text, path);
}

/** Parses inventory YAML text; see {@link loadInventoryFile}. */
export function parseInventoryYaml(text: string, source: string): InventorySnapshot {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => ({
      path: e.linePos?.[0] ? `line ${e.linePos[0].line}` : '',
      message: e.message.split('\n')[0] ?? e.message,
    }));
    throw new RemediatorError(
      REMEDIATOR_ERROR_CODES.inventory,
      `${source}: not valid YAML: ${formatProblems(problems)}`,
      { details: { source, problems } },
    );
  }
  return InventorySnapshot.parse(doc.toJS(), source);
}

/** A fixed inventory: a {@link InventorySource} over one snapshot. */
export function staticInventorySource(inventory: Inventory): InventorySource {
  return { inventory: () => Promise.resolve(inventory) };
}

import type { ApiRequest, KubernetesRequest } from '../actions/requests.js';
import type { RequestOutcome } from '../executors/executor.js';
import { codeForStatus } from '../executors/executor.js';
import { networkPolicyRecordSchema, type InventoryDocument } from './schema.js';

/** What applying a request may need besides the request: the uid of an object it creates. */
export interface ApplyContext {
  /** The API server assigns it; a replay of the same request passes the same one. */
  readonly uid: string;
}

/**
 * Applies one request to an inventory document the way the API server would answer it:
 * 201/200 on success, 404 for a missing object, 409 for an existing one or a failed uid
 * precondition. It models the API objects a request changes, not the controllers'
 * reactions (a deleted pod is not replaced, a scaled Deployment keeps its pod records).
 * Changes `doc`'s arrays (which the caller may have copied for this), never a record in
 * them: a changed record is replaced by a changed copy, so snapshots sharing the records
 * (see {@link writableCopy}) stay as they were.
 */
export function applyRequestToInventory(
  doc: InventoryDocument,
  request: ApiRequest,
  context: ApplyContext,
): RequestOutcome {
  if (request.kind === 'webhook') return applyWebhook(doc, request.event, request.body);
  return applyKubernetes(doc, request, context);
}

/**
 * A copy of `doc` that {@link applyRequestToInventory} may change while `doc`, and every
 * snapshot over it, stays as it is: new arrays of the same records (a few microseconds
 * for thousands of records, where a deep copy takes milliseconds).
 */
export function writableCopy(doc: InventoryDocument): InventoryDocument {
  return {
    ...doc,
    namespaces: [...doc.namespaces],
    nodes: [...doc.nodes],
    workloads: [...doc.workloads],
    pods: [...doc.pods],
    serviceAccounts: [...doc.serviceAccounts],
    users: [...doc.users],
    networkPolicies: [...doc.networkPolicies],
  };
}

function fail(status: number, reason: string): RequestOutcome {
  return { ok: false, status, code: codeForStatus(status), reason };
}

/** `labels` with a merge patch applied (`null` removes a label), as a new object. */
function mergeLabels(
  labels: Readonly<Record<string, string>>,
  patch: unknown,
): Record<string, string> {
  const merged = { ...labels };
  if (!patch || typeof patch !== 'object') return merged;
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete merged[k];
    else merged[k] = String(v);
  }
  return merged;
}

function uidPrecondition(body: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const pre = body?.['preconditions'] as { uid?: string } | undefined;
  return pre?.uid;
}

function applyKubernetes(
  doc: InventoryDocument,
  r: KubernetesRequest,
  context: ApplyContext,
): RequestOutcome {
  const where = `${r.resource} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
  const body = (r.body ?? {}) as Record<string, unknown>;
  const meta = (body['metadata'] ?? {}) as Record<string, unknown>;
  const spec = (body['spec'] ?? {}) as Record<string, unknown>;
  switch (`${r.verb} ${r.resource}${r.subresource ? `/${r.subresource}` : ''}`) {
    case 'create NetworkPolicy': {
      if (doc.networkPolicies.some((n) => n.namespace === r.namespace && n.name === r.name)) {
        return fail(409, `${where} already exists`);
      }
      doc.networkPolicies.push(
        networkPolicyRecordSchema.parse({
          namespace: r.namespace,
          name: r.name,
          labels: meta['labels'] ?? {},
          podSelector: spec['podSelector'] ?? {},
          policyTypes: spec['policyTypes'],
          ingress: spec['ingress'] ?? [],
          egress: spec['egress'] ?? [],
        }),
      );
      return { ok: true, status: 201 };
    }
    case 'patch NetworkPolicy': {
      const i = doc.networkPolicies.findIndex(
        (n) => n.namespace === r.namespace && n.name === r.name,
      );
      const np = doc.networkPolicies[i];
      if (!np) return fail(404, `${where} not found`);
      doc.networkPolicies[i] = networkPolicyRecordSchema.parse({
        ...np,
        labels: mergeLabels(np.labels, meta['labels']),
        ...spec,
      });
      return { ok: true, status: 200 };
    }
    case 'delete NetworkPolicy': {
      const i = doc.networkPolicies.findIndex(
        (n) => n.namespace === r.namespace && n.name === r.name,
      );
      if (i < 0) return fail(404, `${where} not found`);
      doc.networkPolicies.splice(i, 1);
      return { ok: true, status: 200 };
    }
    case 'patch Pod': {
      const i = doc.pods.findIndex((p) => p.namespace === r.namespace && p.name === r.name);
      const pod = doc.pods[i];
      if (!pod) return fail(404, `${where} not found`);
      doc.pods[i] = { ...pod, labels: mergeLabels(pod.labels, meta['labels']) };
      return { ok: true, status: 200 };
    }
    case 'delete Pod': {
      const i = doc.pods.findIndex((p) => p.namespace === r.namespace && p.name === r.name);
      const pod = doc.pods[i];
      if (!pod) return fail(404, `${where} not found`);
      const uid = uidPrecondition(r.body);
      if (uid !== undefined && pod.uid !== uid) {
        return fail(409, `${where}: precondition failed: uid ${uid} does not match`);
      }
      doc.pods.splice(i, 1);
      return { ok: true, status: 200 };
    }
    case 'patch Node': {
      const i = doc.nodes.findIndex((n) => n.name === r.name);
      const node = doc.nodes[i];
      if (!node) return fail(404, `${where} not found`);
      const unschedulable = spec['unschedulable'];
      doc.nodes[i] = {
        ...node,
        labels: mergeLabels(node.labels, meta['labels']),
        ...(typeof unschedulable === 'boolean' ? { unschedulable } : {}),
        ...(unschedulable === null ? { unschedulable: false } : {}),
      };
      return { ok: true, status: 200 };
    }
    case 'patch Deployment/scale':
    case 'patch StatefulSet/scale': {
      const i = doc.workloads.findIndex(
        (x) => x.namespace === r.namespace && x.kind === r.resource && x.name === r.name,
      );
      const w = doc.workloads[i];
      if (!w) return fail(404, `${where} not found`);
      if (typeof spec['replicas'] === 'number')
        doc.workloads[i] = { ...w, replicas: spec['replicas'] };
      return { ok: true, status: 200 };
    }
    case 'delete Secret': {
      const i = doc.serviceAccounts.findIndex(
        (s) => s.namespace === r.namespace && s.tokenSecrets.includes(r.name),
      );
      const sa = doc.serviceAccounts[i];
      if (!sa) return fail(404, `${where} not found`);
      doc.serviceAccounts[i] = { ...sa, tokenSecrets: sa.tokenSecrets.filter((s) => s !== r.name) };
      return { ok: true, status: 200 };
    }
    case 'delete ServiceAccount': {
      const i = doc.serviceAccounts.findIndex(
        (s) => s.namespace === r.namespace && s.name === r.name,
      );
      const sa = doc.serviceAccounts[i];
      if (!sa) return fail(404, `${where} not found`);
      const uid = uidPrecondition(r.body);
      if (uid !== undefined && sa.uid !== uid) {
        return fail(409, `${where}: precondition failed: uid ${uid} does not match`);
      }
      doc.serviceAccounts.splice(i, 1);
      return { ok: true, status: 200 };
    }
    case 'create ServiceAccount': {
      if (doc.serviceAccounts.some((s) => s.namespace === r.namespace && s.name === r.name)) {
        return fail(409, `${where} already exists`);
      }
      doc.serviceAccounts.push({
        namespace: r.namespace ?? '',
        name: r.name,
        uid: context.uid,
        labels: { ...((meta['labels'] as Record<string, string> | undefined) ?? {}) },
        tokenSecrets: [],
      });
      return { ok: true, status: 201 };
    }
    default:
      return fail(405, `${r.verb} ${r.resource} is not modelled by the inventory`);
  }
}

function applyWebhook(
  doc: InventoryDocument,
  event: string,
  body: Readonly<Record<string, unknown>>,
): RequestOutcome {
  if (event !== 'user.disable' && event !== 'user.enable') {
    return fail(400, `webhook event ${event} is not modelled by the inventory`);
  }
  const name = String(body['user']);
  const disabled = event === 'user.disable';
  const i = doc.users.findIndex((u) => u.name === name);
  const user = doc.users[i];
  if (user) doc.users[i] = { ...user, disabled };
  else doc.users.push({ name, groups: [], disabled });
  return { ok: true, status: 200 };
}

import { randomUUID } from 'node:crypto';
import type { ApiRequest, KubernetesRequest } from '../actions/requests.js';
import type { RequestOutcome } from '../executors/executor.js';
import { codeForStatus } from '../executors/executor.js';
import { networkPolicyRecordSchema, type InventoryDocument } from './schema.js';

/**
 * Applies one request to an inventory document the way the API server would answer it:
 * 201/200 on success, 404 for a missing object, 409 for an existing one or a failed uid
 * precondition. It models the API objects a request changes, not the controllers'
 * reactions (a deleted pod is not replaced, a scaled Deployment keeps its pod records).
 * Mutates `doc`.
 */
export function applyRequestToInventory(
  doc: InventoryDocument,
  request: ApiRequest,
): RequestOutcome {
  if (request.kind === 'webhook') return applyWebhook(doc, request.event, request.body);
  return applyKubernetes(doc, request);
}

function fail(status: number, reason: string): RequestOutcome {
  return { ok: false, status, code: codeForStatus(status), reason };
}

function mergeLabels(labels: Record<string, string>, patch: unknown): void {
  if (!patch || typeof patch !== 'object') return;
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete labels[k];
    else labels[k] = String(v);
  }
}

function uidPrecondition(body: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const pre = body?.['preconditions'] as { uid?: string } | undefined;
  return pre?.uid;
}

function applyKubernetes(doc: InventoryDocument, r: KubernetesRequest): RequestOutcome {
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
      const np = doc.networkPolicies.find((n) => n.namespace === r.namespace && n.name === r.name);
      if (!np) return fail(404, `${where} not found`);
      mergeLabels(np.labels, meta['labels']);
      const next = networkPolicyRecordSchema.parse({ ...np, ...spec });
      Object.assign(np, next);
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
      const pod = doc.pods.find((p) => p.namespace === r.namespace && p.name === r.name);
      if (!pod) return fail(404, `${where} not found`);
      mergeLabels(pod.labels, meta['labels']);
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
      const node = doc.nodes.find((n) => n.name === r.name);
      if (!node) return fail(404, `${where} not found`);
      if (typeof spec['unschedulable'] === 'boolean') node.unschedulable = spec['unschedulable'];
      if (spec['unschedulable'] === null) node.unschedulable = false;
      mergeLabels(node.labels, meta['labels']);
      return { ok: true, status: 200 };
    }
    case 'patch Deployment/scale':
    case 'patch StatefulSet/scale': {
      const w = doc.workloads.find(
        (x) => x.namespace === r.namespace && x.kind === r.resource && x.name === r.name,
      );
      if (!w) return fail(404, `${where} not found`);
      if (typeof spec['replicas'] === 'number') w.replicas = spec['replicas'];
      return { ok: true, status: 200 };
    }
    case 'delete Secret': {
      const sa = doc.serviceAccounts.find(
        (s) => s.namespace === r.namespace && s.tokenSecrets.includes(r.name),
      );
      if (!sa) return fail(404, `${where} not found`);
      sa.tokenSecrets = sa.tokenSecrets.filter((s) => s !== r.name);
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
        uid: randomUUID(),
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
  let user = doc.users.find((u) => u.name === name);
  if (!user) {
    user = { name, groups: [], disabled: false };
    doc.users.push(user);
  }
  user.disabled = event === 'user.disable';
  return { ok: true, status: 200 };
}

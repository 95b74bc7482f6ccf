import { isIP } from 'node:net';
import { sha256Hex } from '@vigil/core';
import { z } from 'zod';
import { RemediatorError, REMEDIATOR_ERROR_CODES } from '../../errors.js';
import type { Inventory } from '../../inventory/inventory.js';
import {
  dnsLabelSchema,
  dnsSubdomainSchema,
  type NetworkPolicyRecord,
  type PodRecord,
} from '../../inventory/schema.js';
import { selectorMatches } from '../../inventory/inventory.js';

/** Labels every object Vigil creates carries, so operators can find and clean them. */
export const MANAGED_BY_LABELS = Object.freeze({ 'app.kubernetes.io/managed-by': 'vigil' });
export const QUARANTINE_LABEL = 'vigil.dev/quarantine';
export const ACTION_LABEL = 'vigil.dev/action';

export const podTargetSchema = z
  .object({ namespace: dnsLabelSchema, pod: dnsSubdomainSchema })
  .strict();
export type PodTarget = z.infer<typeof podTargetSchema>;

export const noParametersSchema = z.object({}).strict();

export function notFound(what: string): RemediatorError {
  return new RemediatorError(
    REMEDIATOR_ERROR_CODES.targetNotFound,
    `${what} is not in the inventory`,
    { details: { target: what } },
  );
}

export function requirePod(inventory: Inventory, target: PodTarget): PodRecord {
  const pod = inventory.pod(target.namespace, target.pod);
  if (!pod) throw notFound(`pod ${target.namespace}/${target.pod}`);
  return pod;
}

/** Short stable hex id of a value (for object names derived from an action). */
export function shortId(value: string, length = 12): string {
  return sha256Hex(value).slice(0, length);
}

/**
 * The quarantine id of a pod: stable for one pod (namespace, name, uid), so isolating an
 * already-isolated pod reuses its policy instead of fighting over the label value.
 */
export function quarantineIdOf(pod: { namespace: string; name: string; uid?: string }): string {
  return shortId(`${pod.namespace}/${pod.name}/${pod.uid ?? ''}`);
}

export function quarantinePolicyName(quarantineId: string): string {
  return `vigil-quarantine-${quarantineId}`;
}

/** Policies (other than `exceptName`) selecting any of `pods` with the given policy type. */
export function policiesSelecting(
  inventory: Inventory,
  namespace: string,
  pods: readonly PodRecord[],
  policyType: 'Ingress' | 'Egress',
  exceptName?: string,
): NetworkPolicyRecord[] {
  return inventory
    .networkPolicies(namespace)
    .filter(
      (np) =>
        np.name !== exceptName &&
        np.policyTypes.includes(policyType) &&
        pods.some((p) => selectorMatches(np.podSelector, p.labels)),
    );
}

/** A CIDR (or single IP → /32, /128) with its family; host bits must be zero. */
export interface Cidr {
  readonly cidr: string;
  readonly family: 4 | 6;
}

/** Parses an IP or CIDR. Returns a message instead of throwing, for zod refinements. */
export function parseCidr(value: string): Cidr | string {
  const [ip, prefixText, ...rest] = value.trim().split('/');
  if (ip === undefined || rest.length > 0) return 'expected an IP address or CIDR';
  const family = isIP(ip);
  if (family === 0) return `"${ip}" is not an IP address`;
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 1 || prefix > max || prefixText === '') {
    return `prefix length must be 1..${max}`;
  }
  const bits = ipBits(ip, family);
  if (bits.slice(prefix).includes('1')) {
    return `host bits are set: "${value}" is not a network address`;
  }
  return { cidr: `${ip.toLowerCase()}/${prefix}`, family: family as 4 | 6 };
}

function ipBits(ip: string, family: number): string {
  if (family === 4) {
    return ip
      .split('.')
      .map((o) => Number(o).toString(2).padStart(8, '0'))
      .join('');
  }
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups
    .map((g) =>
      parseInt(g || '0', 16)
        .toString(2)
        .padStart(16, '0'),
    )
    .join('');
}

/** True when `ip` lies in `cidr` (same family). */
export function cidrContains(cidr: Cidr, ip: string): boolean {
  const family = isIP(ip);
  if (family !== cidr.family) return false;
  const [net = '', prefix = '0'] = cidr.cidr.split('/');
  const n = Number(prefix);
  return ipBits(net, family).slice(0, n) === ipBits(ip, family).slice(0, n);
}

/**
 * The part of `@vigil/registry`'s `AgentSystem` this package reads. Declared
 * structurally so that any `AgentSystem` is accepted as is, and so the PKI does not
 * depend on the registry's loader (the registry depends on nothing here either).
 */
export interface IdentitySystem {
  readonly trustDomain: string;
  readonly agents: readonly { readonly name: string }[];
  /** The Kubernetes namespace (`metadata.namespace`), part of `service-account` IDs. */
  readonly metadata?: { readonly namespace: string };
  /** The declaration's `identity`; absent means `spiffeIds: agent`. */
  readonly identity?: { readonly spiffeIds?: 'agent' | 'service-account' };
}

const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;

/** True when `trustDomain` is a valid SPIFFE trust domain name (lower-case, no port). */
export function isValidTrustDomain(trustDomain: string): boolean {
  return trustDomain.length > 0 && trustDomain.length <= 255 && TRUST_DOMAIN.test(trustDomain);
}

/** True when `segment` is a valid SPIFFE path segment (not `.`/`..`). */
export function isValidPathSegment(segment: string): boolean {
  return PATH_SEGMENT.test(segment) && segment !== '.' && segment !== '..';
}

/** `spiffe://<trustDomain>/agent/<name>` — the agent's identity (SPIFFE ID, §2.2). */
export function agentSpiffeId(trustDomain: string, agentName: string): string {
  return `spiffe://${trustDomain}/agent/${agentName}`;
}

/**
 * The SPIFFE ID of agent `agentName` in the form the declaration chose (`identity.spiffeIds`):
 * `spiffe://<td>/agent/<name>`, or `spiffe://<td>/ns/<namespace>/sa/<name>` — what
 * csi-driver-spiffe issues to a pod running as ServiceAccount `<name>` in `<namespace>`
 * (cert-manager/csi-driver-spiffe v0.15.0, internal/csi/driver/driver.go, generateRequest).
 * Mirrors `spiffeIdOf` of `@vigil/registry` (this package does not depend on the registry).
 */
export function agentSpiffeIdIn(system: IdentitySystem, agentName: string): string {
  if (system.identity?.spiffeIds === 'service-account') {
    return `spiffe://${system.trustDomain}/ns/${system.metadata?.namespace ?? 'vigil'}/sa/${agentName}`;
  }
  return agentSpiffeId(system.trustDomain, agentName);
}

/** `spiffe://<trustDomain>/user/<id>` — a human or CLI identity. */
export function userSpiffeId(trustDomain: string, userId: string): string {
  return `spiffe://${trustDomain}/user/${userId}`;
}

/**
 * `spiffe://<trustDomain>/report/<name>` — an identity that signs documents Vigil
 * produces (the compliance evidence pack), never an agent's nor a person's.
 */
export function reportSpiffeId(trustDomain: string, name: string): string {
  return `spiffe://${trustDomain}/report/${name}`;
}

/** Splits a SPIFFE ID into trust domain and path, or `undefined` when it is not one. */
export function parseSpiffeId(id: string): { trustDomain: string; path: string } | undefined {
  const match = /^spiffe:\/\/([^/?#]+)(\/[^?#]*)$/.exec(id);
  if (!match || !isValidTrustDomain(match[1]!)) return undefined;
  const segments = match[2]!.split('/').slice(1);
  if (segments.length === 0 || !segments.every(isValidPathSegment)) return undefined;
  return { trustDomain: match[1]!, path: match[2]! };
}

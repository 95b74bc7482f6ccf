// Bench identities from the real @vigil/pki CA code (ECDSA P-256, SPIFFE URI SANs).
import { createCertificateAuthority, issueLeafCertificate } from '@vigil/pki';
import type { AuditSigner } from '@vigil/audit';

export const TRUST_DOMAIN = 'bench.vigil.local';

export async function benchIdentities(
  names: readonly string[],
): Promise<{ caPem: string; signers: AuditSigner[] }> {
  const ca = await createCertificateAuthority({ trustDomain: TRUST_DOMAIN });
  const signers: AuditSigner[] = [];
  for (const name of names) {
    const id = `spiffe://${TRUST_DOMAIN}/agent/${name}`;
    const leaf = await issueLeafCertificate(ca, {
      spiffeId: id,
      commonName: name,
      notAfter: new Date(Date.now() + 24 * 3_600_000),
    });
    signers.push({ id, privateKeyPem: leaf.keyPem, certPem: leaf.certPem });
  }
  return { caPem: ca.certPem, signers };
}

/** A realistic entry: an execution record with target, result and rationale (~450 bytes canonical). */
export function benchEntry(actor: string, i: number) {
  return {
    kind: 'execution' as const,
    actor,
    incidentId: `inc-${i >> 6}`,
    traceId: (i >>> 0).toString(16).padStart(32, '0'),
    spanId: (i >>> 0).toString(16).padStart(16, '0'),
    what: {
      action: {
        type: 'isolate-pod',
        target: {
          namespace: 'shop',
          name: `web-${i % 97}`,
          labels: { app: 'web', tier: 'frontend' },
        },
      },
      idempotencyKey: `k-${i}`,
      result: { status: 'succeeded', networkPolicy: `vigil-isolate-web-${i % 97}` },
    },
    why: {
      rationale: 'interactive shell spawned by the web server; isolating the pod is reversible',
      ruleIds: ['soc.allow.isolate'],
    },
    inputDigest: `sha256:${'ab'.repeat(32)}`,
  };
}

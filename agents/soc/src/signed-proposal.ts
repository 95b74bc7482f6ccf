import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose';
import { digestOf, VigilError } from '@vigil/core';
import { verifyCertificateChain } from '@vigil/pki';

/** JWS `typ` of a remediator's signed proposal. */
export const PROPOSAL_JWS_TYPE = 'vigil-proposal+jws';

/** What the remediator vouches for: the exact action and the facts the reviewer decides on. */
export interface ProposalClaims {
  readonly incidentId: string;
  readonly proposalId: string;
  /** `digestOf(action)`, RFC 8785 SHA-256. */
  readonly actionDigest: string;
  /** `digestOf({ asset, blastRadius })`: the inventory facts computed by the remediator. */
  readonly factsDigest: string;
}

/**
 * Signs a proposal with the remediator's identity key (ES256, certificate in `x5c`).
 * The reviewer takes the requester identity from this signature — never from a field a
 * forwarding agent could set — so a compromised coordinator cannot invent proposals or
 * alter their blast radius.
 */
export async function signProposal(
  claims: ProposalClaims,
  signer: { readonly key: string; readonly cert: string },
): Promise<string> {
  const { key, x5c } = signingMaterialOf(signer);
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'ES256', typ: PROPOSAL_JWS_TYPE, x5c: [x5c] })
    .sign(key);
}

/** Identities kept parsed: a SOC has a few dozen at most. */
const PARSED_KEPT = 64;
const signingMaterials = new Map<string, { key: KeyObject; x5c: string }>();
const publicKeys = new Map<string, KeyObject>();

/** Adds `value` to a cache bounded to {@link PARSED_KEPT} entries, dropping the oldest first. */
function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= PARSED_KEPT) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}

/**
 * The signer's key and certificate as signing uses them, imported once per exact key and
 * certificate texts (importing them cost more than the signature; a rotated identity is
 * new texts, imported afresh).
 */
function signingMaterialOf(signer: { readonly key: string; readonly cert: string }) {
  const cacheKey = `${signer.cert}\u0000${signer.key}`;
  return (
    signingMaterials.get(cacheKey) ??
    remember(signingMaterials, cacheKey, {
      key: createPrivateKey(signer.key),
      x5c: new X509Certificate(signer.cert).raw.toString('base64'),
    })
  );
}

/** The public key of a certificate already verified against the trust bundle, parsed once per text. */
function publicKeyOf(certPem: string): KeyObject {
  return (
    publicKeys.get(certPem) ?? remember(publicKeys, certPem, new X509Certificate(certPem).publicKey)
  );
}

/**
 * Verifies a signed proposal against the trust bundle and the exact action and facts.
 * Returns the signer's SPIFFE ID. Throws `VIGIL_PROPOSAL_INVALID` naming what failed.
 */
export async function verifyProposal(
  jws: string,
  expected: {
    incidentId: string;
    proposalId: string;
    action: unknown;
    asset: unknown;
    blastRadius: unknown;
  },
  caPem: string,
  now: Date = new Date(),
): Promise<string> {
  const fail = (reason: string): never => {
    throw new VigilError('VIGIL_PROPOSAL_INVALID', `proposal ${expected.proposalId}: ${reason}`);
  };
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    return fail('not a compact JWS');
  }
  if (header.typ !== PROPOSAL_JWS_TYPE || header.alg !== 'ES256' || !header.x5c?.[0])
    return fail('wrong JWS type, algorithm or missing certificate');
  const certPem = `-----BEGIN CERTIFICATE-----\n${header.x5c[0].match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  const chain = verifyCertificateChain(certPem, caPem, now);
  if (!chain.ok) return fail(`signer certificate rejected: ${chain.reason}`);
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, publicKeyOf(certPem)));
  } catch {
    return fail('bad signature');
  }
  const claims = JSON.parse(new TextDecoder().decode(payload)) as ProposalClaims;
  if (claims.incidentId !== expected.incidentId || claims.proposalId !== expected.proposalId)
    fail('signed for another incident or proposal');
  if (claims.actionDigest !== digestOf(expected.action)) fail('signed for a different action');
  if (claims.factsDigest !== digestOf({ asset: expected.asset, blastRadius: expected.blastRadius }))
    fail('asset or blast radius altered after signing');
  return chain.spiffeId;
}

import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { A2A_PROTOCOL_VERSION, AgentCard } from '@a2a-js/sdk';
import canonicalize from 'canonicalize';
import { FlattenedSign, base64url, decodeProtectedHeader, flattenedVerify } from 'jose';
import type { SkillSchemas } from '@vigil/core';
import { splitPemBundle, verifyCertificateChain } from '@vigil/pki';
import { TRANSPORT_ERROR_CODES } from './errors.js';
import { agentSpec, servesV03, type TransportSystem } from './system.js';

/** Path of the JSON-RPC endpoint on every agent server. */
export const A2A_JSONRPC_PATH = '/a2a/v1';
/** Where the agent card is served (A2A §8.2). */
export const AGENT_CARD_PATH = '/.well-known/agent-card.json';
/** Message metadata key naming the skill a request calls. */
export const SKILL_METADATA_KEY = 'vigil.dev/skill';
/** The media type of skill inputs and outputs (a DataPart). */
export const SKILL_MEDIA_TYPE = 'application/json';
/** Skills also take text parts (JSON text is parsed; see `parseSkillRequest`). */
export const SKILL_TEXT_MEDIA_TYPE = 'text/plain';
/**
 * URI of the agent-card extension (A2A §4.4.4 `AgentExtension`, listed under
 * `capabilities.extensions`) whose `params.skills` maps each skill id to the JSON Schemas
 * of its input and output. A2A 1.0's `AgentSkill` has no field for schemas; an extension's
 * `params` is the place the spec leaves for such data, and it is covered by the card's
 * signature like every other field.
 */
export const SKILL_SCHEMAS_EXTENSION = 'https://vigil.dev/a2a/extensions/skill-schemas/v1';
/** The A2A version of the SDK's compatibility layer. */
const LEGACY_PROTOCOL_VERSION = '0.3';

/**
 * The A2A agent card of `agentName`, generated from the registry: name, description,
 * skills, the JSON-RPC interface at `baseUrl`, protocol version, capabilities and the
 * mutual-TLS security scheme, and the skills' JSON Schemas when given (the
 * {@link SKILL_SCHEMAS_EXTENSION} extension). Unsigned; see {@link signAgentCard}.
 */
export function buildAgentCard(
  system: TransportSystem,
  agentName: string,
  baseUrl: string,
  options: { version?: string; skillSchemas?: Readonly<Record<string, SkillSchemas>> } = {},
): AgentCard {
  const spec = agentSpec(system, agentName);
  if (!spec) throw new RangeError(`agent "${agentName}" is not declared in the agent system`);
  const schemas = Object.fromEntries(
    spec.skills.flatMap((skill) => {
      const entry = options.skillSchemas?.[skill.id];
      return entry === undefined ? [] : [[skill.id, { input: entry.input, output: entry.output }]];
    }),
  );
  return {
    name: spec.name,
    description: spec.description,
    // One interface per version served (A2A §8.3.1; the SDK routes 0.3 only when it is listed).
    supportedInterfaces: [
      A2A_PROTOCOL_VERSION,
      ...(servesV03(spec) ? [LEGACY_PROTOCOL_VERSION] : []),
    ].map((protocolVersion) => ({
      url: new URL(A2A_JSONRPC_PATH, baseUrl).toString(),
      protocolBinding: 'JSONRPC',
      tenant: '',
      protocolVersion,
    })),
    provider: { organization: 'Vigil', url: 'https://vigil.dev' },
    version: options.version ?? '0.1.0',
    capabilities: {
      streaming: false,
      pushNotifications: false,
      extensions:
        Object.keys(schemas).length === 0
          ? []
          : [
              {
                uri: SKILL_SCHEMAS_EXTENSION,
                description: 'JSON Schemas (2020-12) of each skill input and output',
                required: false,
                params: { skills: schemas },
              },
            ],
      extendedAgentCard: false,
    },
    securitySchemes: {
      mtls: {
        scheme: {
          $case: 'mtlsSecurityScheme',
          value: {
            description: `Mutual TLS 1.3; client certificates are SPIFFE X509-SVIDs of trust domain ${system.trustDomain}`,
          },
        },
      },
    },
    securityRequirements: [{ schemes: { mtls: { list: [] } } }],
    defaultInputModes: [SKILL_MEDIA_TYPE, SKILL_TEXT_MEDIA_TYPE],
    defaultOutputModes: [SKILL_MEDIA_TYPE],
    skills: spec.skills.map((skill) => ({
      id: skill.id,
      name: skill.name,
      description: skill.description,
      tags: [...skill.tags],
      examples: [],
      inputModes: [SKILL_MEDIA_TYPE, SKILL_TEXT_MEDIA_TYPE],
      outputModes: [SKILL_MEDIA_TYPE],
      securityRequirements: [],
    })),
    signatures: [],
  };
}

/** One JWS of an agent card (A2A §8.4.2), as served. */
export interface AgentCardSignatureJson {
  readonly protected: string;
  readonly signature: string;
  readonly header?: Readonly<Record<string, unknown>>;
}

/**
 * An agent card as it travels: the A2A 1.0 JSON form (ProtoJSON, e.g.
 * `securitySchemes.mtls.mtlsSecurityScheme`), not the SDK's in-memory form
 * (`{ scheme: { $case } }`). This is what is served, signed and verified.
 */
export type AgentCardDocument = Readonly<Record<string, unknown>> & {
  readonly signatures?: readonly AgentCardSignatureJson[];
};

/** The A2A 1.0 JSON form of `card`, without signatures (the SDK's ProtoJSON encoder). */
export function agentCardDocument(card: AgentCard): AgentCardDocument {
  const { signatures: _signatures, ...rest } = AgentCard.toJSON(card) as Record<string, unknown>;
  return rest;
}

/**
 * The JWS payload of a card (A2A §8.4.1): the RFC 8785 canonical form of the served JSON
 * without `signatures`. Computed over the document itself, not a re-encoding of it, so that
 * every byte a verifier receives (securitySchemes included) is covered.
 */
function signingInput(document: AgentCardDocument): Uint8Array {
  const { signatures: _signatures, ...covered } = document;
  const canonical = canonicalize(covered);
  if (canonical === undefined) throw new RangeError('the agent card has no JSON form');
  return new TextEncoder().encode(canonical);
}

/**
 * Signs `document` (A2A §8.4: JWS over the RFC 8785 canonical card without `signatures`)
 * with the agent's ECDSA P-256 key, ES256, replacing any signature it had. The protected
 * header carries `x5c` (the agent certificate, RFC 7515 §4.1.6) and `kid` (its SPIFFE ID),
 * so a verifier needs only the trust bundle.
 */
export async function signAgentCard(
  document: AgentCardDocument,
  credentials: { cert: string; key: string; spiffeId: string },
): Promise<AgentCardDocument> {
  const [leaf] = splitPemBundle(credentials.cert);
  if (!leaf) throw new RangeError('credentials.cert holds no certificate');
  const der = new X509Certificate(leaf).raw.toString('base64');
  const { signatures: _signatures, ...unsigned } = document;
  const jws = await new FlattenedSign(signingInput(unsigned))
    .setProtectedHeader({ alg: 'ES256', typ: 'JOSE', kid: credentials.spiffeId, x5c: [der] })
    .sign(createPrivateKey(credentials.key));
  // A protected header was set, so the flattened JWS always carries it.
  return {
    ...unsigned,
    signatures: [{ protected: jws.protected ?? '', signature: jws.signature }],
  };
}

/** Outcome of {@link verifyAgentCard}; a failure is a value with a stable code. */
export type CardVerification =
  | { readonly ok: true; readonly spiffeId: string }
  | { readonly ok: false; readonly code: string; readonly reason: string };

/**
 * Verifies that `card` (the JSON as received) carries a JWS signature (ES256) by a certificate (its `x5c`)
 * that chains to `caPem` and whose SPIFFE ID is `expectedSpiffeId`.
 *
 * Codes: `VIGIL_TRANSPORT_CARD_SIGNATURE_INVALID` (no signature, bad header, untrusted
 * certificate, or a signature that does not match the card: it was altered),
 * `VIGIL_TRANSPORT_CARD_IDENTITY_MISMATCH` (validly signed by another identity).
 */
export async function verifyAgentCard(
  card: AgentCardDocument,
  options: { caPem: string; expectedSpiffeId: string; now?: Date },
): Promise<CardVerification> {
  const signatures = Array.isArray(card.signatures) ? card.signatures : [];
  if (signatures.length === 0) {
    return {
      ok: false,
      code: TRANSPORT_ERROR_CODES.CARD_SIGNATURE_INVALID,
      reason: 'the agent card is not signed',
    };
  }
  const payload = base64url.encode(signingInput(card));
  let failure: CardVerification = {
    ok: false,
    code: TRANSPORT_ERROR_CODES.CARD_SIGNATURE_INVALID,
    reason: 'no signature verifies',
  };
  for (const signature of signatures) {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader({
        protected: signature.protected,
        signature: signature.signature,
        payload,
      });
    } catch {
      failure = {
        ok: false,
        code: TRANSPORT_ERROR_CODES.CARD_SIGNATURE_INVALID,
        reason: 'malformed JWS header',
      };
      continue;
    }
    const x5c = header.x5c;
    if (header.alg !== 'ES256' || !Array.isArray(x5c) || typeof x5c[0] !== 'string') {
      failure = {
        ok: false,
        code: TRANSPORT_ERROR_CODES.CARD_SIGNATURE_INVALID,
        reason: 'the JWS header must have alg ES256 and an x5c certificate',
      };
      continue;
    }
    const leafPem = derBase64ToPem(x5c[0]);
    const chain = verifyCertificateChain(leafPem, options.caPem, options.now);
    if (!chain.ok) {
      failure = {
        ok: false,
        code: TRANSPORT_ERROR_CODES.CARD_SIGNATURE_INVALID,
        reason: `the signing certificate is not trusted: ${chain.code}: ${chain.reason}`,
      };
      continue;
    }
    try {
      await flattenedVerify(
        { protected: signature.protected, signature: signature.signature, payload },
        createPublicKey(leafPem),
        { algorithms: ['ES256'] },
      );
    } catch {
      failure = {
        ok: false,
        code: TRANSPORT_ERROR_CODES.CARD_SIGNATURE_INVALID,
        reason: 'the signature does not match the card content (altered card)',
      };
      continue;
    }
    if (chain.spiffeId !== options.expectedSpiffeId) {
      failure = {
        ok: false,
        code: TRANSPORT_ERROR_CODES.CARD_IDENTITY_MISMATCH,
        reason: `the card is signed by ${chain.spiffeId}, expected ${options.expectedSpiffeId}`,
      };
      continue;
    }
    return { ok: true, spiffeId: chain.spiffeId };
  }
  return failure;
}

/**
 * A certificate PEM from the base64 DER of an `x5c` entry, 64 characters a line. Joining
 * the lines (rather than appending a newline after every 64) matters: a DER whose base64
 * is an exact multiple of 64 long would otherwise get an empty line before the footer,
 * which OpenSSL refuses — the card of an agent whose certificate has that length failed.
 */
export function derBase64ToPem(base64: string): string {
  return `-----BEGIN CERTIFICATE-----\n${(base64.match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`;
}

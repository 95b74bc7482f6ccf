import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AgentCredentials } from '@vigil/pki';
import { X509Certificate } from 'node:crypto';
import {
  agentCardDocument,
  buildAgentCard,
  derBase64ToPem,
  signAgentCard,
  verifyAgentCard,
} from './card.js';
import { TRANSPORT_ERROR_CODES as CODES } from './errors.js';
import { testIdentities, testSystem } from './testing/fixtures.js';

const system = testSystem({
  detector: { skills: ['ingest', 'score'] },
  analyst: { calls: ['detector'] },
});
let ids: Awaited<ReturnType<typeof testIdentities>>;
let detector: AgentCredentials;

before(async () => {
  ids = await testIdentities(system);
  detector = await ids.credentials('detector');
});
after(() => ids.cleanup());

test('the agent card is generated from the registry', () => {
  const card = buildAgentCard(system, 'detector', 'https://127.0.0.1:8443');
  assert.equal(card.name, 'detector');
  assert.equal(card.description, 'detector test agent');
  assert.deepEqual(
    card.skills.map((skill) => skill.id),
    ['ingest', 'score'],
  );
  assert.equal(card.supportedInterfaces[0]?.url, 'https://127.0.0.1:8443/a2a/v1');
  assert.equal(card.supportedInterfaces[0]?.protocolBinding, 'JSONRPC');
  assert.equal(card.supportedInterfaces[0]?.protocolVersion, '1.0');
  assert.equal(card.capabilities?.streaming, false);
  assert.equal(card.securitySchemes['mtls']?.scheme?.$case, 'mtlsSecurityScheme');
});

test('a signed card verifies after a JSON round trip and carries x5c and kid in its protected header', async () => {
  const signed = await signAgentCard(
    agentCardDocument(buildAgentCard(system, 'detector', 'https://127.0.0.1:8443')),
    detector,
  );
  const wire = JSON.parse(JSON.stringify(signed)) as typeof signed;
  const verdict = await verifyAgentCard(wire, {
    caPem: detector.ca,
    expectedSpiffeId: detector.spiffeId,
  });
  assert.deepEqual(verdict, { ok: true, spiffeId: detector.spiffeId });
  const header = JSON.parse(
    Buffer.from(signed.signatures![0]!.protected, 'base64url').toString(),
  ) as Record<string, unknown>;
  assert.equal(header['alg'], 'ES256');
  assert.equal(header['kid'], detector.spiffeId);
  assert.equal((header['x5c'] as string[]).length, 1);
});

test('an altered, unsigned, mis-signed or untrusted card fails with a stable code', async () => {
  const signed = await signAgentCard(
    agentCardDocument(buildAgentCard(system, 'detector', 'https://127.0.0.1:8443')),
    detector,
  );
  const expect = { caPem: detector.ca, expectedSpiffeId: detector.spiffeId };

  const skills = signed['skills'] as unknown[];
  const altered = { ...signed, skills: skills.slice(0, 1) };
  const alteredVerdict = await verifyAgentCard(altered, expect);
  assert.equal(!alteredVerdict.ok && alteredVerdict.code, CODES.CARD_SIGNATURE_INVALID);

  // The security schemes are covered too: removing or weakening them breaks the signature.
  const { securitySchemes: _dropped, ...withoutSchemes } = signed;
  const dropped = await verifyAgentCard(withoutSchemes, expect);
  assert.equal(!dropped.ok && dropped.code, CODES.CARD_SIGNATURE_INVALID);
  const weakened = await verifyAgentCard(
    { ...signed, securitySchemes: { none: { apiKeySecurityScheme: { name: 'x' } } } },
    expect,
  );
  assert.equal(!weakened.ok && weakened.code, CODES.CARD_SIGNATURE_INVALID);

  const unsigned = await verifyAgentCard({ ...signed, signatures: [] }, expect);
  assert.equal(!unsigned.ok && unsigned.code, CODES.CARD_SIGNATURE_INVALID);

  const analyst = await ids.credentials('analyst');
  const wrongSigner = await verifyAgentCard(await signAgentCard(signed, analyst), expect);
  assert.equal(!wrongSigner.ok && wrongSigner.code, CODES.CARD_IDENTITY_MISMATCH);

  const other = await testIdentities(system);
  try {
    const otherCa = (await other.credentials('detector')).ca;
    const untrusted = await verifyAgentCard(signed, { ...expect, caPem: otherCa });
    assert.equal(!untrusted.ok && untrusted.code, CODES.CARD_SIGNATURE_INVALID);
    assert.match(!untrusted.ok ? untrusted.reason : '', /not trusted/);
  } finally {
    other.cleanup();
  }

  const later = await verifyAgentCard(signed, {
    ...expect,
    now: new Date(Date.now() + 48 * 3_600_000),
  });
  assert.equal(!later.ok && later.code, CODES.CARD_SIGNATURE_INVALID);
});

test('an x5c whose base64 is a whole number of 64-character lines becomes a valid PEM (no empty line)', () => {
  // Observed: cards of agents named collect-news or review-peers were rejected as "not a
  // valid PEM" because their certificate's base64 happened to be a multiple of 64 long.
  const pem = derBase64ToPem('A'.repeat(128));
  assert.doesNotMatch(pem, /\n\n/);
  assert.equal(pem.split('\n').length, 5);
  const raw = new X509Certificate(detector.cert).raw.toString('base64');
  assert.equal(new X509Certificate(derBase64ToPem(raw)).raw.toString('base64'), raw);
});

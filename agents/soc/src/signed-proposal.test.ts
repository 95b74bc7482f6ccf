import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isVigilError, digestOf } from '@vigil/core';
import { createCertificateAuthority, issueLeafCertificate } from '@vigil/pki';
import { signProposal, verifyProposal } from './signed-proposal.js';

const action = { type: 'isolate-pod', target: { namespace: 'shop', pod: 'web-1' }, parameters: {} };
const facts = { asset: { kind: 'Pod' }, blastRadius: { pods: 1 } };
const expected = { incidentId: 'inc-1', proposalId: 'p0', action, ...facts };
const claims = {
  incidentId: 'inc-1',
  proposalId: 'p0',
  actionDigest: digestOf(action),
  factsDigest: digestOf(facts),
};

async function identity(ca: Awaited<ReturnType<typeof createCertificateAuthority>>, name: string) {
  const leaf = await issueLeafCertificate(ca, {
    spiffeId: `spiffe://soc.test/agent/${name}`,
    commonName: name,
    notAfter: new Date(Date.now() + 3_600_000),
  });
  return { key: leaf.keyPem, cert: leaf.certPem };
}

const invalid = (e: unknown) => isVigilError(e, 'VIGIL_PROPOSAL_INVALID');

test('a signed proposal verifies for its signer; keys and certificates parsed once still bind each proposal to its own signer and bundle', async () => {
  const ca = await createCertificateAuthority({ trustDomain: 'soc.test' });
  const other = await createCertificateAuthority({ trustDomain: 'soc.test' });
  const remediator = await identity(ca, 'remediator');
  const rotated = await identity(ca, 'remediator');
  const impostor = await identity(other, 'remediator');

  for (let round = 0; round < 2; round++) {
    // The second round is served by what the first one parsed and cached.
    const jws = await signProposal(claims, remediator);
    assert.equal(
      await verifyProposal(jws, expected, ca.certPem),
      'spiffe://soc.test/agent/remediator',
    );
    await assert.rejects(verifyProposal(jws, expected, other.certPem), invalid);
    await assert.rejects(
      verifyProposal(jws, { ...expected, action: { ...action, type: 'delete-pod' } }, ca.certPem),
      invalid,
    );
    await assert.rejects(
      verifyProposal(jws, { ...expected, blastRadius: { pods: 2 } }, ca.certPem),
      invalid,
    );
    // A rotated key signs with its own certificate; an impostor's never chains to the CA.
    assert.ok(await verifyProposal(await signProposal(claims, rotated), expected, ca.certPem));
    await assert.rejects(
      verifyProposal(await signProposal(claims, impostor), expected, ca.certPem),
      invalid,
    );
  }
});

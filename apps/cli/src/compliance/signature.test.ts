import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  createCertificateAuthority,
  ensureCertificateAuthority,
  issueLeafCertificate,
  issueReportCredentials,
  issueUserCredentials,
} from '@vigil/pki';
import { signReport, verifyReport, type ReportSigner } from './signature.js';

const CLAIMS = {
  evidenceDigest: 'sha256:00',
  system: 'test',
  period: { from: '2026-12-01T00:00:00.000Z', to: '2026-12-02T00:00:00.000Z' },
};

async function localCa(t: TestContext): Promise<{ stateDir: string; caPem: string }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-report-sig-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const ca = await ensureCertificateAuthority(stateDir, 'test.local');
  return { stateDir, caPem: ca.certPem };
}

async function reportSigner(stateDir: string): Promise<ReportSigner> {
  const c = await issueReportCredentials(stateDir, 'test.local', 'compliance');
  return { cert: c.cert, key: c.key };
}

/** A one-page PDF with a classic xref table and trailer, as Chromium writes them. */
function minimalPdf(text: string): Buffer {
  const content = `BT /F1 12 Tf 20 100 Td (${text}) Tj ET`;
  const objects = [
    '<</Type /Catalog /Pages 2 0 R>>',
    '<</Type /Pages /Kids [3 0 R] /Count 1>>',
    '<</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R>>',
    `<</Length ${content.length}>>\nstream\n${content}\nendstream`,
    '<</Title (test) /Producer (hand)>>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<</Size ${objects.length + 1} /Root 1 0 R /Info 5 0 R>>\nstartxref\n${xref}\n%%EOF`;
  return Buffer.from(out, 'latin1');
}

const HTML = Buffer.from('<!DOCTYPE html><html><body><p>42 escalations</p></body></html>\n');

test('a signed HTML report verifies and names its report identity', async (t) => {
  const { stateDir, caPem } = await localCa(t);
  const signed = await signReport(HTML, CLAIMS, await reportSigner(stateDir));
  const result = await verifyReport(signed, caPem);
  assert.ok(result.ok, JSON.stringify(result));
  assert.equal(result.signer, 'spiffe://test.local/report/compliance');
  assert.equal(result.claims.length, HTML.length);
  assert.deepEqual(result.claims.period, CLAIMS.period);
});

test('one changed byte of content fails as content altered', async (t) => {
  const { stateDir, caPem } = await localCa(t);
  const signed = Buffer.from(await signReport(HTML, CLAIMS, await reportSigner(stateDir)));
  signed[signed.indexOf('42')] = '9'.charCodeAt(0);
  const result = await verifyReport(signed, caPem);
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.code, 'VIGIL_COMPLIANCE_CONTENT_ALTERED');
  assert.match(!result.ok ? result.message : '', /not what was signed/);
});

test('a swapped signature fails: another JWS signature as bad, another whole report signature as altered content', async (t) => {
  const { stateDir, caPem } = await localCa(t);
  const signer = await reportSigner(stateDir);
  const mine = Buffer.from(await signReport(HTML, CLAIMS, signer)).toString('utf8');
  const other = Buffer.from(
    await signReport(Buffer.from('<html>another report</html>\n'), CLAIMS, signer),
  ).toString('utf8');
  const jwsOf = (s: string) => /vigil-report-signature (\S+) -->/.exec(s)![1]!;
  const [h, p] = jwsOf(mine).split('.');
  const foreignSignature = jwsOf(other).split('.')[2]!;
  const swappedSig = mine.replace(jwsOf(mine), `${h}.${p}.${foreignSignature}`);
  const bad = await verifyReport(Buffer.from(swappedSig), caPem);
  assert.equal(!bad.ok && bad.code, 'VIGIL_COMPLIANCE_BAD_SIGNATURE');
  const swappedJws = mine.replace(jwsOf(mine), jwsOf(other));
  const altered = await verifyReport(Buffer.from(swappedJws), caPem);
  assert.equal(!altered.ok && altered.code, 'VIGIL_COMPLIANCE_CONTENT_ALTERED');
});

test('a report signed with a certificate from another CA is untrusted', async (t) => {
  const { caPem } = await localCa(t);
  const foreignCa = await createCertificateAuthority({ trustDomain: 'test.local' });
  const leaf = await issueLeafCertificate(foreignCa, {
    spiffeId: 'spiffe://test.local/report/compliance',
    commonName: 'report:compliance',
    notAfter: new Date(Date.now() + 3_600_000),
  });
  const signed = await signReport(HTML, CLAIMS, { cert: leaf.certPem, key: leaf.keyPem });
  const result = await verifyReport(signed, caPem);
  assert.equal(!result.ok && result.code, 'VIGIL_COMPLIANCE_UNTRUSTED_SIGNER');
  assert.match(!result.ok ? result.message : '', /is not trusted/);
});

test('a trusted identity that is not a report identity is the wrong signer', async (t) => {
  const { stateDir, caPem } = await localCa(t);
  const user = await issueUserCredentials(stateDir, 'test.local', 'alice');
  const signed = await signReport(HTML, CLAIMS, { cert: user.cert, key: user.key });
  const result = await verifyReport(signed, caPem);
  assert.equal(!result.ok && result.code, 'VIGIL_COMPLIANCE_WRONG_SIGNER');
});

test('an unsigned report and bytes appended after the signature are refused', async (t) => {
  const { stateDir, caPem } = await localCa(t);
  const unsigned = await verifyReport(HTML, caPem);
  assert.equal(!unsigned.ok && unsigned.code, 'VIGIL_COMPLIANCE_UNSIGNED');
  const signed = await signReport(HTML, CLAIMS, await reportSigner(stateDir));
  const appended = await verifyReport(Buffer.concat([signed, Buffer.from('<p>added</p>')]), caPem);
  assert.equal(!appended.ok && appended.code, 'VIGIL_COMPLIANCE_CONTENT_ALTERED');
});

test('a PDF is signed by an incremental update that keeps its bytes and chains its trailer', async (t) => {
  const { stateDir, caPem } = await localCa(t);
  const pdf = minimalPdf('42 escalations');
  const signed = Buffer.from(await signReport(pdf, CLAIMS, await reportSigner(stateDir)));
  assert.ok(signed.subarray(0, pdf.length).equals(pdf), 'the signed bytes are untouched');
  const update = signed.subarray(pdf.length).toString('latin1');
  assert.match(
    update,
    /^\n6 0 obj\n<<\/Title \(test\) \/Producer \(hand\) \/VigilReportSignature \(/,
  );
  assert.match(update, /\/Size 7 \/Root 1 0 R \/Info 6 0 R \/Prev \d+>>/);
  const offset = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(update)![1]);
  assert.equal(signed.subarray(offset, offset + 4).toString('latin1'), 'xref');
  const ok = await verifyReport(signed, caPem);
  assert.ok(ok.ok, JSON.stringify(ok));
  assert.equal(ok.format, 'pdf');

  const tampered = Buffer.from(signed);
  tampered[tampered.indexOf('42')] = '9'.charCodeAt(0);
  const altered = await verifyReport(tampered, caPem);
  assert.equal(!altered.ok && altered.code, 'VIGIL_COMPLIANCE_CONTENT_ALTERED');
  // A later incremental update could repaint a page: anything after the signature is refused.
  const repainted = Buffer.concat([signed, Buffer.from('7 0 obj\n<<>>\nendobj\n', 'latin1')]);
  const appended = await verifyReport(repainted, caPem);
  assert.equal(!appended.ok && appended.code, 'VIGIL_COMPLIANCE_CONTENT_ALTERED');
});

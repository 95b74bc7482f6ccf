/**
 * The signature of a compliance report, carried inside the report itself.
 *
 * A report is signed over its exact bytes: a compact JWS (ES256, the report identity's
 * certificate in `x5c`) whose payload names the SHA-256 and the length of the signed
 * prefix. The JWS is then appended in a form the document format keeps intact:
 * - HTML: one trailing comment `<!-- vigil-report-signature <jws> -->` after `</html>`;
 * - PDF: an incremental update (ISO 32000-1 §7.5.6, the way PDF signatures add
 *   themselves) whose new document-information dictionary carries the JWS as
 *   `/VigilReportSignature` — the original bytes stay untouched, readers show the page
 *   content as it was signed, and `pdfinfo` lists the signature.
 * Verification recomputes that trailer from the signed prefix and the JWS and requires
 * the file to be exactly prefix + trailer, so no byte can be changed or appended (an
 * appended PDF update could otherwise paint over a signed page).
 */
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose';
import { parseSpiffeId, verifyCertificateChain } from '@vigil/pki';
import { COMPLIANCE_ERROR_CODES, ComplianceError } from './errors.js';

/** JWS `typ` of a compliance report signature. */
export const REPORT_JWS_TYPE = 'vigil-compliance-report+jws';

export type ReportFormat = 'html' | 'pdf';

/** What the report's signer vouches for. */
export interface ReportClaims {
  readonly format: ReportFormat;
  /** Hex SHA-256 of the signed prefix of the file. */
  readonly sha256: string;
  /** Length in bytes of the signed prefix. */
  readonly length: number;
  /** `digestOf(evidence)`: the evidence pack the document was rendered from. */
  readonly evidenceDigest: string;
  readonly system: string;
  readonly period: { readonly from: string; readonly to: string };
  /** When the report was signed (ISO 8601); the certificate must be valid then. */
  readonly signedAt: string;
}

/** The signing identity: its leaf certificate and P-256 private key (PEM). */
export interface ReportSigner {
  readonly cert: string;
  readonly key: string;
}

/** Outcome of {@link verifyReport}: a failure is a value with a stable code. */
export type ReportVerification =
  | {
      readonly ok: true;
      readonly format: ReportFormat;
      readonly signer: string;
      readonly certificateFingerprint: string;
      readonly claims: ReportClaims;
    }
  | {
      readonly ok: false;
      readonly code: string;
      readonly message: string;
      readonly format: ReportFormat;
    };

const HTML_MARK = '<!-- vigil-report-signature ';
const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** `pdf` when the bytes open with the PDF header, else `html`. */
export function formatOf(bytes: Uint8Array): ReportFormat {
  return Buffer.from(bytes.subarray(0, 5)).toString('latin1') === '%PDF-' ? 'pdf' : 'html';
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Signs `document` (the rendered HTML or PDF) and returns it with its signature
 * embedded. `claims` gives what the digest does not: the evidence digest, system and period.
 * @throws ComplianceError `VIGIL_COMPLIANCE_RENDER_FAILED` when a PDF has no classic trailer.
 */
export async function signReport(
  document: Uint8Array,
  claims: Omit<ReportClaims, 'format' | 'sha256' | 'length' | 'signedAt'>,
  signer: ReportSigner,
  now: Date = new Date(),
): Promise<Uint8Array> {
  const format = formatOf(document);
  const full: ReportClaims = {
    format,
    sha256: sha256Hex(document),
    length: document.length,
    evidenceDigest: claims.evidenceDigest,
    system: claims.system,
    period: claims.period,
    signedAt: now.toISOString(),
  };
  const cert = new X509Certificate(signer.cert);
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(full)))
    .setProtectedHeader({ alg: 'ES256', typ: REPORT_JWS_TYPE, x5c: [cert.raw.toString('base64')] })
    .sign(createPrivateKey(signer.key));
  return Buffer.concat([document, trailerFor(document, format, jws)]);
}

function trailerFor(prefix: Uint8Array, format: ReportFormat, jws: string): Uint8Array {
  return format === 'html'
    ? Buffer.from(`${HTML_MARK}${jws} -->\n`, 'utf8')
    : pdfIncrement(prefix, jws);
}

/** The classic trailer of the PDF's last revision: where its xref is and what it names. */
function lastTrailer(pdf: Uint8Array): {
  startxref: number;
  size: number;
  root: string;
  info?: string;
} {
  // The trailer sits in the last kilobytes; latin1 keeps one character per byte.
  const tail = Buffer.from(pdf.subarray(Math.max(0, pdf.length - 4096))).toString('latin1');
  const trailerAt = tail.lastIndexOf('trailer');
  const startxref = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail);
  if (trailerAt < 0 || startxref === null)
    throw new ComplianceError(
      COMPLIANCE_ERROR_CODES.RENDER_FAILED,
      'the PDF has no classic trailer (trailer … startxref … %%EOF) to append a signature to',
    );
  const dict = tail.slice(trailerAt, startxref.index);
  const size = /\/Size\s+(\d+)/.exec(dict);
  const root = /\/Root\s+(\d+\s+\d+\s+R)/.exec(dict);
  const info = /\/Info\s+(\d+\s+\d+\s+R)/.exec(dict);
  if (size === null || root === null)
    throw new ComplianceError(
      COMPLIANCE_ERROR_CODES.RENDER_FAILED,
      'the PDF trailer names no /Size or /Root',
    );
  return {
    startxref: Number(startxref[1]),
    size: Number(size[1]),
    root: root[1]!,
    ...(info === null ? {} : { info: info[1]! }),
  };
}

/** The entries of the document-information dictionary `ref` (without `<<` `>>`), or ''. */
function infoEntries(pdf: Uint8Array, ref: string | undefined): string {
  if (ref === undefined) return '';
  const [num, gen] = ref.split(/\s+/);
  const text = Buffer.from(pdf).toString('latin1');
  const at = text.lastIndexOf(`\n${num} ${gen} obj`);
  if (at < 0) return '';
  const end = text.indexOf('endobj', at);
  const body = text.slice(text.indexOf('obj', at) + 3, end).trim();
  return body.startsWith('<<') && body.endsWith('>>') ? body.slice(2, -2).trim() : '';
}

/**
 * An incremental update that adds one object — the new document-information dictionary
 * (the old entries kept, `/VigilReportSignature (<jws>)` added) — its xref section and a
 * trailer chained to the previous one with `/Prev`. Deterministic in (prefix, jws).
 */
function pdfIncrement(prefix: Uint8Array, jws: string): Uint8Array {
  const t = lastTrailer(prefix);
  const old = infoEntries(prefix, t.info);
  const objNum = t.size;
  const lead = prefix[prefix.length - 1] === 0x0a ? '' : '\n';
  const objOffset = prefix.length + lead.length;
  const obj = `${objNum} 0 obj\n<<${old === '' ? '' : `${old} `}/VigilReportSignature (${jws})>>\nendobj\n`;
  const xrefOffset = objOffset + obj.length;
  const xref = `xref\n${objNum} 1\n${String(objOffset).padStart(10, '0')} 00000 n \n`;
  const trailer = `trailer\n<</Size ${objNum + 1} /Root ${t.root} /Info ${objNum} 0 R /Prev ${t.startxref}>>\nstartxref\n${xrefOffset}\n%%EOF\n`;
  return Buffer.from(`${lead}${obj}${xref}${trailer}`, 'latin1');
}

/** The JWS embedded in `file`, or undefined when it carries none. */
function embeddedJws(file: Buffer, format: ReportFormat): string | undefined {
  if (format === 'html') {
    const text = file.toString('utf8');
    const at = text.lastIndexOf(HTML_MARK);
    if (at < 0) return undefined;
    return /^([^\s]*) -->/.exec(text.slice(at + HTML_MARK.length))?.[1];
  }
  const text = file.toString('latin1');
  const matches = [...text.matchAll(/\/VigilReportSignature \(([^)]*)\)/g)];
  return matches.at(-1)?.[1];
}

/**
 * Verifies a signed report: the JWS verifies with the certificate it carries, the
 * certificate chains to `caPem` at signing time and names a report identity
 * (`spiffe://<td>/report/<name>`), and the file is exactly the signed bytes followed by
 * the signature trailer. Never throws for a bad report; the first problem found is the result.
 */
export async function verifyReport(file: Uint8Array, caPem: string): Promise<ReportVerification> {
  const bytes = Buffer.from(file);
  const format = formatOf(bytes);
  const fail = (code: string, message: string): ReportVerification => ({
    ok: false,
    code,
    message,
    format,
  });
  const jws = embeddedJws(bytes, format);
  if (jws === undefined)
    return fail(COMPLIANCE_ERROR_CODES.VERIFY_UNSIGNED, `the ${format} file carries no signature`);
  if (!JWS.test(jws))
    return fail(
      COMPLIANCE_ERROR_CODES.VERIFY_MALFORMED,
      'the signature block is not a compact JWS',
    );
  let x5c: string;
  try {
    const header = decodeProtectedHeader(jws);
    if (header.typ !== REPORT_JWS_TYPE || header.alg !== 'ES256')
      return fail(
        COMPLIANCE_ERROR_CODES.VERIFY_MALFORMED,
        `the signature is a ${String(header.typ)} ${String(header.alg)} JWS, not an ES256 ${REPORT_JWS_TYPE}`,
      );
    const first = header.x5c?.[0];
    if (first === undefined)
      return fail(COMPLIANCE_ERROR_CODES.VERIFY_MALFORMED, 'the signature carries no certificate');
    x5c = first;
  } catch {
    return fail(COMPLIANCE_ERROR_CODES.VERIFY_MALFORMED, 'the signature header is not JSON');
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(x5c, 'base64'));
  } catch {
    return fail(
      COMPLIANCE_ERROR_CODES.VERIFY_MALFORMED,
      'the certificate in the signature is not X.509',
    );
  }
  let claims: ReportClaims;
  try {
    const { payload } = await compactVerify(jws, cert.publicKey);
    claims = JSON.parse(new TextDecoder().decode(payload)) as ReportClaims;
  } catch {
    return fail(
      COMPLIANCE_ERROR_CODES.VERIFY_BAD_SIGNATURE,
      'the signature does not verify with the certificate it carries (the JWS was altered or swapped)',
    );
  }
  const signedAt = new Date(claims.signedAt);
  if (
    Number.isNaN(signedAt.getTime()) ||
    !Number.isSafeInteger(claims.length) ||
    typeof claims.sha256 !== 'string'
  )
    return fail(COMPLIANCE_ERROR_CODES.VERIFY_MALFORMED, 'the signed claims are incomplete');
  const chain = verifyCertificateChain(cert.toString(), caPem, signedAt);
  if (!chain.ok)
    return fail(
      COMPLIANCE_ERROR_CODES.VERIFY_UNTRUSTED_SIGNER,
      `the signer's certificate (${cert.subject.replace(/\n/g, ', ')}) is not trusted at ${claims.signedAt}: ${chain.reason}`,
    );
  if (!/^\/report\/[^/]+$/.test(parseSpiffeId(chain.spiffeId)?.path ?? ''))
    return fail(
      COMPLIANCE_ERROR_CODES.VERIFY_WRONG_SIGNER,
      `the report is signed by ${chain.spiffeId}, which is not a report identity (spiffe://<td>/report/<name>)`,
    );
  if (claims.format !== format)
    return fail(
      COMPLIANCE_ERROR_CODES.VERIFY_CONTENT_ALTERED,
      `the signature is for a ${claims.format} report, this file is ${format}`,
    );
  const prefix = bytes.subarray(0, Math.min(claims.length, bytes.length));
  if (claims.length > bytes.length || sha256Hex(prefix) !== claims.sha256)
    return fail(
      COMPLIANCE_ERROR_CODES.VERIFY_CONTENT_ALTERED,
      `the report's content is not what was signed (SHA-256 of its first ${claims.length} bytes differs)`,
    );
  let expected: Uint8Array;
  try {
    expected = trailerFor(prefix, format, jws);
  } catch {
    return fail(COMPLIANCE_ERROR_CODES.VERIFY_CONTENT_ALTERED, 'the signed PDF has no trailer');
  }
  if (!Buffer.from(expected).equals(bytes.subarray(claims.length)))
    return fail(
      COMPLIANCE_ERROR_CODES.VERIFY_CONTENT_ALTERED,
      `the report has bytes after the signed content other than its signature (${bytes.length - claims.length} bytes where ${expected.length} were expected)`,
    );
  return {
    ok: true,
    format,
    signer: chain.spiffeId,
    certificateFingerprint: cert.fingerprint256,
    claims,
  };
}

/**
 * One compliance report, end to end: a short-lived report identity from the local CA,
 * the evidence of the period, the clause mapping, the charts, the HTML (and PDF), the
 * signature. `vigil compliance report` is this plus file handling.
 */
import { X509Certificate } from 'node:crypto';
import { digestOf } from '@vigil/core';
import type { AuditStore } from '@vigil/audit';
import { issueReportCredentials } from '@vigil/pki';
import type { AgentSystem } from '@vigil/registry';
import { renderCharts } from './charts.js';
import { mapClauses, type ClauseMapping } from './clauses.js';
import type { EvaluationEvidence } from './evaluation.js';
import { collectEvidence, type EvidencePack } from './evidence.js';
import { htmlToPdf } from './pdf.js';
import type { Period } from './period.js';
import { renderReportHtml } from './render-html.js';
import { signReport, type ReportFormat } from './signature.js';

/** The SPIFFE path name of the identity that signs compliance reports (`/report/compliance`). */
export const REPORT_IDENTITY = 'compliance';

export interface ReportOptions {
  readonly system: AgentSystem;
  readonly store: AuditStore;
  readonly stateDir: string;
  readonly caPem: string;
  readonly period: Period;
  readonly format: ReportFormat;
  readonly entrypoint: string;
  /** A `vigil eval` result to carry as accuracy evidence. */
  readonly evaluation?: EvaluationEvidence | undefined;
  readonly now?: Date;
}

export interface Report {
  /** The signed document, ready to write. */
  readonly document: Uint8Array;
  readonly pack: EvidencePack;
  readonly clauses: readonly ClauseMapping[];
  readonly signer: string;
}

/**
 * Builds and signs the report of `options.period`.
 * @throws PkiError `VIGIL_PKI_CA_MISSING` without a local CA; ComplianceError
 *   `VIGIL_COMPLIANCE_RENDER_FAILED` when a PDF cannot be printed.
 */
export async function buildReport(options: ReportOptions): Promise<Report> {
  const now = options.now ?? new Date();
  // Issued first: a report is signed by a leaf valid when it was made, and the document
  // names the identity that signs it.
  const identity = await issueReportCredentials(
    options.stateDir,
    options.system.trustDomain,
    REPORT_IDENTITY,
    { now },
  );
  const pack = await collectEvidence({ ...options, now });
  const clauses = mapClauses(pack);
  const html = renderReportHtml({
    pack,
    clauses,
    charts: await renderCharts(pack),
    signer: {
      spiffeId: identity.spiffeId,
      fingerprint: new X509Certificate(identity.cert).fingerprint256,
    },
  });
  const unsigned = options.format === 'pdf' ? await htmlToPdf(html) : Buffer.from(html, 'utf8');
  const document = await signReport(
    unsigned,
    {
      evidenceDigest: digestOf({ pack, clauses }),
      system: options.system.metadata.name,
      period: pack.period,
    },
    { cert: identity.cert, key: identity.key },
    now,
  );
  return { document, pack, clauses, signer: identity.spiffeId };
}

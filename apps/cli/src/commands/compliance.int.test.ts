/**
 * `vigil compliance report` and `verify` on the demo: the real SOC (`vigil up`, six agent
 * processes) runs the demo scenario, a person approves one escalation and rejects another,
 * and the report of that period is written as PDF (headless Chromium) and HTML. The PDF's
 * pages are turned into PNG with pdftoppm and kept as artefacts; the report's numbers are
 * compared with `vigil metrics` on the same trail and window; tampered copies must fail.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ComplianceMetrics } from '@vigil/audit';
import { createCertificateAuthority, issueLeafCertificate } from '@vigil/pki';
import { startSoc } from '../e2e/soc-harness.js';
import type { ClauseMapping } from '../compliance/clauses.js';
import type { EvidencePack } from '../compliance/evidence.js';
import { escapeHtml } from '../compliance/render-html.js';
import { signReport, verifyReport } from '../compliance/signature.js';
import { REPO_ROOT } from '../testing/run-vigil.js';

/** Where the test keeps the report and its page images (git-ignored). */
const ARTEFACTS =
  process.env['VIGIL_TEST_ARTIFACTS'] ??
  join(REPO_ROOT, '.tools', 'artifacts', 'compliance-report');

interface Approval {
  readonly id: string;
  readonly status: string;
}

function embeddedEvidence(html: string): { pack: EvidencePack; clauses: ClauseMapping[] } {
  const json = /<script type="application\/json" id="vigil-evidence">([\s\S]*?)<\/script>/.exec(
    html,
  )?.[1];
  assert.ok(json, 'the HTML report embeds its evidence');
  return JSON.parse(json) as { pack: EvidencePack; clauses: ClauseMapping[] };
}

test('the demo report renders as PDF and HTML, matches vigil metrics, maps every clause, and fails verification when tampered', async (t) => {
  const soc = await startSoc(t);
  const from = new Date(Date.now() - 1000).toISOString();
  await soc.replay(join(REPO_ROOT, 'examples/soc-demo/scenario.ndjson'));
  await soc.settled();

  // A person decides two escalations: one approved, one rejected, each with a reason.
  const listed = await soc.cli('--json', 'approvals', 'list');
  assert.equal(listed.code, 0, listed.stderr);
  const pending = (JSON.parse(listed.stdout) as Approval[]).filter((a) => a.status === 'pending');
  assert.ok(pending.length >= 2, 'the demo leaves escalations for a human');
  const [approve, reject] = pending;
  const decisions = await Promise.all(
    (
      [
        ['approve', approve!, 'confirmed with the service owner'],
        ['reject', reject!, 'false positive: scheduled maintenance'],
      ] as const
    ).map(([decision, approval, reason]) =>
      soc.cli('approvals', decision, approval.id, '--reason', reason),
    ),
  );
  for (const run of decisions) assert.equal(run.code, 0, run.stderr);
  await soc.settled();
  const to = new Date().toISOString();
  // Entries are stamped when written: after `to`, nothing new can fall inside the window.
  await new Promise((resolve) => setTimeout(resolve, 1000));

  const dir = join(soc.up.dir, 'reports');
  mkdirSync(dir);
  const pdfPath = join(dir, 'report.pdf');
  const htmlPath = join(dir, 'report.html');
  // Both formats at once: each run is its own CLI process reading the same store.
  const reports = await Promise.all(
    [pdfPath, htmlPath].map((out) =>
      soc.cli('--json', 'compliance', 'report', '--from', from, '--to', to, '-o', out),
    ),
  );
  for (const run of reports) {
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as {
      output: string;
      bytes: number;
      durationMs: number;
      auditOk: boolean;
    };
    assert.equal(summary.auditOk, true);
    t.diagnostic(`${summary.output}: ${summary.bytes} bytes in ${summary.durationMs} ms`);
  }

  // The PDF renders: every page becomes a PNG, kept with the report as test artefacts.
  rmSync(ARTEFACTS, { recursive: true, force: true });
  mkdirSync(ARTEFACTS, { recursive: true });
  copyFileSync(pdfPath, join(ARTEFACTS, 'report.pdf'));
  copyFileSync(htmlPath, join(ARTEFACTS, 'report.html'));
  const pages = Number(
    /Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [pdfPath], { encoding: 'utf8' }))?.[1],
  );
  assert.ok(pages >= 3, `the report has ${pages} pages`);
  execFileSync('pdftoppm', ['-r', '80', '-png', pdfPath, join(ARTEFACTS, 'page')]);
  const images = readdirSync(ARTEFACTS).filter((f) => /^page-\d+\.png$/.test(f));
  assert.equal(images.length, pages);
  for (const image of images) {
    const png = readFileSync(join(ARTEFACTS, image));
    assert.ok(png.subarray(1, 4).toString('latin1') === 'PNG' && png.length > 5000, image);
  }
  const text = execFileSync('pdftotext', ['-layout', pdfPath, '-'], { encoding: 'utf8' });

  // Its numbers are those of `vigil metrics` on the same trail and window.
  const html = readFileSync(htmlPath, 'utf8');
  const { pack, clauses } = embeddedEvidence(html);
  const [metricsJson, metricsTable] = await Promise.all([
    soc.cli('--json', 'metrics', '--from', from, '--to', to),
    soc.cli('metrics', '--from', from, '--to', to),
  ]);
  assert.equal(metricsJson.code, 0, metricsJson.stderr);
  assert.deepEqual(pack.metrics, JSON.parse(metricsJson.stdout) as ComplianceMetrics);
  assert.ok(
    html.includes(escapeHtml(metricsTable.stdout.trimEnd())),
    'the HTML shows vigil metrics',
  );
  const m = pack.metrics;
  assert.ok(m.entries > 0 && m.mutation.flagged > 0);
  assert.ok(
    text.includes(`five-signal coverage: ${m.fiveSignal.covered}/${m.fiveSignal.total}`),
    'the PDF shows the five-signal coverage',
  );
  assert.ok(
    text.includes(`step mutation intervention rate: ${m.mutation.mutate}/${m.mutation.flagged}`),
    'the PDF shows the mutation rate',
  );

  // The escalations carry who decided, when, why and how long the action waited.
  const decided = new Map(pack.escalations.map((e) => [e.approvalId, e]));
  const approved = decided.get(approve!.id);
  assert.equal(approved?.status, 'approved');
  assert.equal(approved?.comment, 'confirmed with the service owner');
  assert.match(approved?.decidedBy ?? '', /admin/);
  assert.ok((approved?.waitedMs ?? 0) > 0);
  assert.equal(decided.get(reject!.id)?.status, 'rejected');
  assert.ok(text.includes('false positive: scheduled maintenance'));
  assert.ok(pack.policy.revisions.some((r) => r.current && r.verdicts > 0));
  assert.ok((pack.policy.bundle.tests?.passed ?? 0) > 0);
  assert.ok(pack.audit.heads.length > 0 && pack.audit.verification.ok);

  // Every mapped clause has evidence or says plainly that it is not covered.
  for (const c of clauses)
    assert.ok(
      c.status === 'covered' ? c.evidence.length > 0 : (c.reason ?? '').length > 0,
      `${c.id}: ${c.status}`,
    );
  const notCovered = clauses.filter((c) => c.status === 'not covered').length;
  assert.ok(notCovered > 0);
  assert.ok((text.match(/not covered/g) ?? []).length >= notCovered);
  for (const c of ['Art. 12(1)', 'Art. 14(1)', 'Art. 14(4)(d)', 'ASI02', 'MANAGE'])
    assert.equal(clauses.find((x) => x.id === c)?.status, 'covered', c);

  // Both verify; tampered copies fail with the problem named.
  const pdf = readFileSync(pdfPath);
  const oneByte = Buffer.from(pdf);
  oneByte[Math.floor(pdf.length / 3)]! ^= 0x01;

  const jwsOf = (s: string, re: RegExp) => re.exec(s)![1]!;
  const pdfJws = jwsOf(pdf.toString('latin1'), /\/VigilReportSignature \(([^)]+)\)/);
  const htmlJws = jwsOf(html, /<!-- vigil-report-signature (\S+) -->/);
  const [header, payload] = pdfJws.split('.');
  const swapped = Buffer.from(
    pdf.toString('latin1').replace(pdfJws, `${header}.${payload}.${htmlJws.split('.')[2]}`),
    'latin1',
  );

  const foreign = await createCertificateAuthority({ trustDomain: 'soc.vigil.local' });
  const leaf = await issueLeafCertificate(foreign, {
    spiffeId: 'spiffe://soc.vigil.local/report/compliance',
    commonName: 'report:compliance',
    notAfter: new Date(Date.now() + 3_600_000),
  });
  const signedLength = Number(
    (JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as { length: number }).length,
  );
  const resigned = await signReport(
    pdf.subarray(0, signedLength),
    { evidenceDigest: 'sha256:forged', system: pack.system.name, period: pack.period },
    { cert: leaf.certPem, key: leaf.keyPem },
  );

  // Through the CLI: the good PDF and the one re-signed by another CA (exit codes, messages);
  // the other copies in this process, which is what the CLI runs (each CLI start costs
  // seconds on a loaded machine).
  writeFileSync(join(dir, 'other-ca.pdf'), resigned);
  const [okPdf, untrusted] = await Promise.all(
    [pdfPath, join(dir, 'other-ca.pdf')].map((file) => soc.cli('compliance', 'verify', file)),
  );
  assert.equal(okPdf!.code, 0, okPdf!.stderr);
  assert.match(okPdf!.stdout, /^OK: .* signed by spiffe:\/\/[^/]+\/report\/compliance/);
  assert.equal(untrusted!.code, 1);
  assert.match(untrusted!.stderr, /VIGIL_COMPLIANCE_UNTRUSTED_SIGNER: .*is not trusted/);
  const caPem = readFileSync(join(soc.up.stateDir, 'pki', 'ca.crt'), 'utf8');
  const okHtml = await verifyReport(readFileSync(htmlPath), caPem);
  assert.ok(okHtml.ok, JSON.stringify(okHtml));
  const altered = await verifyReport(oneByte, caPem);
  assert.equal(!altered.ok && altered.code, 'VIGIL_COMPLIANCE_CONTENT_ALTERED');
  assert.match(!altered.ok ? altered.message : '', /content is not what was signed/);
  const bad = await verifyReport(swapped, caPem);
  assert.equal(!bad.ok && bad.code, 'VIGIL_COMPLIANCE_BAD_SIGNATURE');
  assert.match(!bad.ok ? bad.message : '', /does not verify/);
});

import { readFile, writeFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { COMPLIANCE_ERROR_CODES, ComplianceError } from '../compliance/errors.js';
import { readEvaluation } from '../compliance/evaluation.js';
import { parsePeriod } from '../compliance/period.js';
import { buildReport } from '../compliance/report.js';
import {
  verifyReport,
  type ReportFormat,
  type ReportVerification,
} from '../compliance/signature.js';
import { globalOptions, print, UsageError } from '../context.js';
import { openDeclaredAuditStore, readCa } from './audit.js';
import { DEFAULT_ENTRYPOINT } from './policy.js';

function formatOfPath(path: string): ReportFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.pdf') return 'pdf';
  if (ext === '.html' || ext === '.htm') return 'html';
  throw new UsageError(`-o: "${path}" must end in .html or .pdf (the format follows the name)`);
}

function renderVerification(file: string, r: ReportVerification): string {
  if (!r.ok) return `FAILED: ${file}: ${r.code}: ${r.message}`;
  return [
    `OK: ${file} (${r.format}) is the report signed by ${r.signer}`,
    `  certificate SHA-256 ${r.certificateFingerprint}, issued by the trusted CA`,
    `  signed ${r.claims.signedAt} over ${r.claims.length} bytes (sha256 ${r.claims.sha256})`,
    `  system ${r.claims.system}, period ${r.claims.period.from} .. ${r.claims.period.to}`,
  ].join('\n');
}

/** `vigil compliance report | verify`: the signed evidence pack of a period (docs/compliance.md). */
export function registerComplianceCommand(program: Command): void {
  const compliance = program
    .command('compliance')
    .description('a signed evidence pack for auditors: report, verify');

  compliance
    .command('report')
    .description(
      'write the evidence pack of a period (metrics, oversight, policy, registry, audit, clause mapping), signed',
    )
    .requiredOption(
      '-o, --output <file>',
      'report.html or report.pdf (PDF through headless Chromium)',
    )
    .option('--from <time>', 'start: ISO 8601 date/time, or a duration back from now (7d)', '7d')
    .option('--to <time>', 'end (exclusive): ISO 8601 date/time, now, or a duration back', 'now')
    .option(
      '--ca <file>',
      'CA bundle to verify the audit trail with (default <state-dir>/pki/ca.crt)',
    )
    .option(
      '--eval <file>',
      'the JSON output of `vigil --json eval …`: its accuracy figures become evidence (Art. 15)',
    )
    .action(
      async (
        opts: { output: string; from: string; to: string; ca?: string; eval?: string },
        cmd: Command,
      ) => {
        const options = globalOptions(cmd);
        const output = resolve(opts.output);
        const format = formatOfPath(output);
        const period = parsePeriod(opts.from, opts.to);
        const evaluation =
          opts.eval === undefined ? undefined : await readEvaluation(resolve(opts.eval));
        const started = performance.now();
        const { system, store } = await openDeclaredAuditStore(options);
        try {
          const report = await buildReport({
            system,
            store,
            stateDir: options.stateDir,
            caPem: await readCa(options, opts.ca),
            period,
            format,
            entrypoint: DEFAULT_ENTRYPOINT,
            evaluation,
          });
          await writeFile(output, report.document, { mode: 0o644 });
          const covered = report.clauses.filter((c) => c.status === 'covered').length;
          const summary = {
            output,
            format,
            bytes: report.document.length,
            durationMs: Math.round(performance.now() - started),
            signer: report.signer,
            period: report.pack.period,
            entries: report.pack.metrics.entries,
            auditOk: report.pack.audit.verification.ok,
            clauses: { covered, notCovered: report.clauses.length - covered },
          };
          print(
            options,
            () =>
              `wrote ${output} (${format}, ${summary.bytes} bytes, ${summary.durationMs} ms): ${summary.entries} entries from ${summary.period.from} to ${summary.period.to}, audit ${summary.auditOk ? 'verified' : 'FAILED verification'}, ${covered}/${report.clauses.length} clauses covered; signed by ${report.signer}`,
            summary,
          );
        } finally {
          await store.close();
        }
      },
    );

  compliance
    .command('verify')
    .description(
      'check a report: its signature, that the signer chains to the CA, and that the content is what was signed (exit 1 if not)',
    )
    .argument('<file>', 'report.pdf or report.html')
    .option('--ca <file>', 'CA bundle to trust (default <state-dir>/pki/ca.crt)')
    .action(async (file: string, opts: { ca?: string }, cmd: Command) => {
      const options = globalOptions(cmd);
      let bytes: Buffer;
      try {
        bytes = await readFile(resolve(file));
      } catch (cause) {
        throw new UsageError(`cannot read ${file}: ${(cause as Error).message}`);
      }
      const result = await verifyReport(bytes, await readCa(options, opts.ca));
      print(options, () => renderVerification(file, result), result);
      if (!result.ok)
        throw new ComplianceError(
          COMPLIANCE_ERROR_CODES.VERIFY_FAILED,
          `${file} does not verify: ${result.code}: ${result.message}`,
        );
    });
}

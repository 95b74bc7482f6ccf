import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Command } from 'commander';
import { VigilError } from '@vigil/core';
import {
  AUTO_WORKERS_FROM_ENTRIES,
  exportAudit,
  openAuditStore,
  pruneAudit,
  verifyAudit,
  type AuditStore,
  type AuditVerification,
} from '@vigil/audit';
import { issueUserCredentials } from '@vigil/pki';
import { loadAgentSystem, type AgentSystem } from '@vigil/registry';
import { globalOptions, print, UsageError, type GlobalOptions } from '../context.js';
import { loadSystemVocabulary } from '../vocabulary.js';

/** Opens the declared audit store of the system in `options.config`. */
export async function openDeclaredAuditStore(
  options: GlobalOptions,
): Promise<{ system: AgentSystem; store: AuditStore }> {
  const system = await loadAgentSystem(options.config);
  const store = await openAuditStore(system.storage.audit, options.stateDir);
  return { system, store };
}

/** The CA bundle verification trusts: `--ca <file>` or `<stateDir>/pki/ca.crt`. */
export async function readCa(options: GlobalOptions, caFile: string | undefined): Promise<string> {
  const path = caFile ?? join(options.stateDir, 'pki', 'ca.crt');
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new VigilError(
      'VIGIL_CONFIG_CA_MISSING',
      `cannot read the CA bundle ${path} (run vigil pki init, or pass --ca)`,
      { cause },
    );
  }
}

/** The human rendering of a verification. */
export function renderVerification(r: AuditVerification): string {
  const lines = [
    `${r.ok ? 'OK' : 'FAILED'}: ${r.entries} entries in ${r.chains.length} chains, ${r.checkpoints} checkpoints, ${r.anchors} anchors verified in ${r.durationMs.toFixed(0)} ms`,
  ];
  if (r.firstProblem !== undefined) {
    const p = r.firstProblem;
    lines.push(
      `first bad entry: ${p.code}${p.sequence !== undefined && Number.isInteger(p.sequence) ? ` at sequence ${p.sequence}` : ''} — ${p.message}`,
    );
    for (const other of r.problems.slice(1)) lines.push(`  also: ${other.code} — ${other.message}`);
  }
  lines.push(
    '',
    `${'CHAIN'.padEnd(70)}  ${'ENTRIES'.padStart(8)}  ${'POSITIONS'.padEnd(14)}  ${'SIGNED'.padStart(8)}  UNSIGNED  CLOSED`,
  );
  for (const c of r.chains) {
    const positions = c.from === null ? '-' : `${c.from}..${c.to}`;
    lines.push(
      `${c.chain.padEnd(70)}  ${String(c.entries).padStart(8)}  ${positions.padEnd(14)}  ${String(c.signedThrough).padStart(8)}  ${String(c.unsignedTail).padStart(8)}  ${c.closed ? 'yes' : 'no'}`,
    );
  }
  return lines.join('\n');
}

function parseDuration(text: string, flag: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (m === null) throw new UsageError(`${flag}: "${text}" is not a duration like 30d, 12h, 15m`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    m[2] as 'ms' | 's' | 'm' | 'h' | 'd'
  ];
  return Number(m[1]) * unit;
}

/** `--workers`: `auto` or a whole number of threads from 0 to {@link MAX_WORKERS}. */
function parseWorkers(text: string): number | 'auto' {
  if (text === 'auto') return 'auto';
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n > MAX_WORKERS)
    throw new UsageError(
      `--workers: "${text}" is neither auto nor a whole number of threads from 0 to ${MAX_WORKERS}`,
    );
  return n;
}

/** More verification threads than this only add start-up cost and memory. */
const MAX_WORKERS = 64;

export { parseDuration, parseWorkers };

/** `vigil audit verify | export | prune`. */
export function registerAuditCommand(program: Command): void {
  const audit = program
    .command('audit')
    .description('the tamper-evident audit trail: verify, export, prune');

  audit
    .command('verify')
    .description(
      'check every chain, checkpoint signature and anchor; name the first bad entry (exit 1 if any)',
    )
    .option('--ca <file>', 'CA bundle to trust (default <state-dir>/pki/ca.crt)')
    .option(
      '--workers <n>',
      `threads that read and hash the log in parallel: a number (0: read in this process's thread), or auto: one per core when the SQLite log holds ${AUTO_WORKERS_FROM_ENTRIES.toLocaleString('en-US')} entries or more`,
      'auto',
    )
    .action(async (opts: { ca?: string; workers: string }, cmd: Command) => {
      const options = globalOptions(cmd);
      const workers = parseWorkers(opts.workers);
      const { store } = await openDeclaredAuditStore(options);
      try {
        const report = await verifyAudit(store, {
          caPem: await readCa(options, opts.ca),
          workers,
        });
        print(options, () => renderVerification(report), report);
        if (!report.ok) {
          throw new VigilError(
            'VIGIL_AUDIT_VERIFY_FAILED',
            `audit log does not verify: ${report.firstProblem?.code ?? ''} ${report.firstProblem?.message ?? ''}`,
          );
        }
      } finally {
        await store.close();
      }
    });

  audit
    .command('export')
    .description(
      'stream entries for a SIEM: JSON lines, or OCSF (Remediation Activity 7001, Detection Finding 2004)',
    )
    .option('--format <format>', 'jsonl or ocsf', 'jsonl')
    .option('--correlation <id>', 'only entries of this correlation id (an incident, a memo, …)')
    .option('--incident <id>', 'the same as --correlation')
    .option('--since <duration>', 'only entries newer than this (e.g. 24h, 7d)')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(
      async (
        opts: {
          format: string;
          correlation?: string;
          incident?: string;
          since?: string;
          output?: string;
        },
        cmd: Command,
      ) => {
        const options = globalOptions(cmd);
        if (opts.format !== 'jsonl' && opts.format !== 'ocsf')
          throw new UsageError(`--format: "${opts.format}" is not jsonl or ocsf`);
        const since =
          opts.since === undefined
            ? undefined
            : new Date(Date.now() - parseDuration(opts.since, '--since'));
        const { system, store } = await openDeclaredAuditStore(options);
        const { audit: vocabulary } = await loadSystemVocabulary(system);
        const out =
          opts.output === undefined
            ? process.stdout
            : createWriteStream(opts.output, { mode: 0o600 });
        try {
          for await (const line of exportAudit(
            store,
            opts.format,
            { correlationId: opts.correlation ?? opts.incident, since },
            vocabulary,
          )) {
            if (!out.write(line)) await once(out, 'drain');
          }
        } finally {
          await store.close();
          if (out !== process.stdout)
            await new Promise<void>((resolve, reject) =>
              out.end((err?: Error | null) => (err ? reject(err) : resolve())),
            );
        }
      },
    );

  audit
    .command('prune')
    .description(
      'delete old entries, keeping the log verifiable (verify, signed prune anchor, then delete)',
    )
    .option(
      '--older-than <duration>',
      'prune entries older than this (default: audit.retentionDays)',
    )
    .option('--before-sequence <n>', 'prune entries before this store sequence')
    .option(
      '--user <id>',
      'operator identity that signs the prune record (spiffe://<td>/user/<id>)',
      process.env['USER'] ?? 'operator',
    )
    .option('--ca <file>', 'CA bundle to trust (default <state-dir>/pki/ca.crt)')
    .action(
      async (
        opts: { olderThan?: string; beforeSequence?: string; user: string; ca?: string },
        cmd: Command,
      ) => {
        const options = globalOptions(cmd);
        const { system, store } = await openDeclaredAuditStore(options);
        try {
          let beforeSequence: number | undefined;
          if (opts.beforeSequence !== undefined) {
            beforeSequence = Number(opts.beforeSequence);
            if (!Number.isInteger(beforeSequence) || beforeSequence < 1)
              throw new UsageError(
                `--before-sequence: "${opts.beforeSequence}" is not a positive integer`,
              );
          }
          const olderThanMs =
            opts.olderThan !== undefined
              ? parseDuration(opts.olderThan, '--older-than')
              : beforeSequence === undefined
                ? system.audit.retentionDays * 86_400_000
                : undefined;
          const olderThan =
            olderThanMs === undefined ? undefined : new Date(Date.now() - olderThanMs);
          // A short-lived operator identity from the local CA signs the prune record.
          const user = await issueUserCredentials(options.stateDir, system.trustDomain, opts.user, {
            validityHours: 1,
          });
          const result = await pruneAudit(
            store,
            { beforeSequence, olderThan },
            {
              signer: { id: user.spiffeId, privateKeyPem: user.key, certPem: user.cert },
              caPem: await readCa(options, opts.ca),
            },
          );
          const summary = {
            deleted: result.deleted,
            cuts: result.cuts,
            anchor: result.anchor?.anchorSeq ?? null,
            signer: user.spiffeId,
          };
          print(
            options,
            () =>
              result.cuts.length === 0
                ? 'nothing to prune (no chain has a signed checkpoint inside the range)'
                : `pruned ${result.deleted} entries from ${result.cuts.length} chains; prune anchor ${result.anchor?.anchorSeq} signed by ${user.spiffeId}\n${result.cuts.map((c) => `  ${c.chain} now starts after position ${c.chainSeq}`).join('\n')}`,
            summary,
          );
        } finally {
          await store.close();
        }
      },
    );
}

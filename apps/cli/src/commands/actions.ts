import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { VigilError } from '@vigil/core';
import { loadAgentSystem, spiffeIdOf } from '@vigil/registry';
import {
  openExecutionLedger,
  openRemediator,
  parseRemediatorSettings,
  remediatorPaths,
  type ExecutionRecord,
  type ExecutionState,
} from '@vigil/remediator';
import { globalOptions, print, UsageError, type GlobalOptions } from '../context.js';

const STATES: readonly ExecutionState[] = ['pending', 'done', 'failed', 'unknown'];

function targetOf(r: ExecutionRecord): string {
  const t = r.action.target as Record<string, unknown>;
  if (typeof t['pod'] === 'string') return `pod ${String(t['namespace'])}/${t['pod']}`;
  if (typeof t['name'] === 'string')
    return `${String(t['kind'])} ${String(t['namespace'])}/${t['name']}`;
  if (typeof t['serviceAccount'] === 'string')
    return `sa ${String(t['namespace'])}/${t['serviceAccount']}`;
  if (typeof t['node'] === 'string') return `node ${t['node']}`;
  if (typeof t['user'] === 'string') return `user ${t['user']}`;
  if (typeof t['namespace'] === 'string')
    return `ns ${t['namespace']} ${JSON.stringify(t['selector'] ?? {})}`;
  return JSON.stringify(t);
}

/** The human table of `vigil actions list`. */
export function renderExecutions(records: readonly ExecutionRecord[]): string {
  if (records.length === 0) return 'no executions';
  const rows = records.map((r) => [
    r.id,
    r.state + (r.undoneBy ? ' (undone)' : r.undoOf ? ' (undo)' : ''),
    r.action.type,
    targetOf(r),
    r.executor,
    `${r.authorisation.kind}:${r.authorisation.by.replace(/^spiffe:\/\/[^/]+\//, '')}`,
    r.createdAt,
    r.error ? r.error.code : '',
  ]);
  const head = [
    'EXECUTION',
    'STATE',
    'TYPE',
    'TARGET',
    'EXECUTOR',
    'AUTHORISED BY',
    'CREATED',
    'ERROR',
  ];
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

async function readJws(path: string, flag: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (cause) {
    throw new UsageError(`${flag}: cannot read ${path}: ${(cause as Error).message}`);
  }
}

async function openFromDeclaration(options: GlobalOptions) {
  const system = await loadAgentSystem(options.config);
  const spec = system.agents.find((a) => a.implementation === '@vigil/remediator');
  if (!spec) {
    throw new VigilError(
      'VIGIL_CONFIG_NO_REMEDIATOR',
      `${options.config}: no agent has implementation '@vigil/remediator'`,
    );
  }
  const settings = parseRemediatorSettings(spec.settings, `agents.${spec.name}.settings`);
  const caPath = join(options.stateDir, 'pki', 'ca.crt');
  let caPem: string;
  try {
    caPem = await readFile(caPath, 'utf8');
  } catch (cause) {
    throw new VigilError('VIGIL_CONFIG_CA_MISSING', `cannot read ${caPath} (run vigil pki init)`, {
      cause,
    });
  }
  return openRemediator({
    settings,
    stateDir: options.stateDir,
    baseDir: dirname(options.config),
    caPem,
    reviewer: spiffeIdOf(system, settings.reviewer),
    state: system.storage.state,
  });
}

/** `vigil actions list | undo <execution-id>`. */
export function registerActionsCommand(program: Command): void {
  const actions = program
    .command('actions')
    .description('executed remediation actions: list, undo');

  actions
    .command('list')
    .description('executions recorded by the remediator (newest first)')
    .option('--state <state>', `only executions in this state (${STATES.join(', ')})`)
    .option('--limit <n>', 'at most this many', '50')
    .action(async (opts: { state?: string; limit: string }, cmd: Command) => {
      const options = globalOptions(cmd);
      if (opts.state !== undefined && !STATES.includes(opts.state as ExecutionState)) {
        throw new UsageError(`--state: "${opts.state}" is not one of ${STATES.join(', ')}`);
      }
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new UsageError(`--limit: "${opts.limit}" is not a positive integer`);
      const path = remediatorPaths(options.stateDir).store;
      // The ledger is where the declaration's storage.state says; with no declaration at
      // hand (listing a copied state directory), the SQLite file in it.
      const state = existsSync(options.config)
        ? (await loadAgentSystem(options.config)).storage.state
        : undefined;
      const shared = state?.backend === 'postgres';
      if (!shared && !existsSync(path)) {
        print(options, () => `no executions (no store at ${path})`, []);
        return;
      }
      const store = await openExecutionLedger(state, path);
      try {
        const records = await store.list({
          ...(opts.state ? { state: opts.state as ExecutionState } : {}),
          limit,
        });
        print(options, () => renderExecutions(records), records);
      } finally {
        await store.close();
      }
    });

  actions
    .command('undo')
    .argument('<execution-id>', 'the execution to reverse (see vigil actions list)')
    .description(
      'build the inverse of a reversible execution for review; with --verdict or --approval for exactly that inverse, execute it',
    )
    .option(
      '--verdict <file>',
      "file holding the reviewer's signed verdict (compact JWS) for the inverse action",
    )
    .option(
      '--approval <file>',
      'file holding a signed human approval (compact JWS) for the inverse action',
    )
    .action(
      async (executionId: string, opts: { verdict?: string; approval?: string }, cmd: Command) => {
        const options = globalOptions(cmd);
        if (opts.verdict && opts.approval)
          throw new UsageError('give --verdict or --approval, not both');
        const opened = await openFromDeclaration(options);
        try {
          const undo = await opened.remediator.prepareUndo(executionId);
          if (!opts.verdict && !opts.approval) {
            print(
              options,
              () =>
                [
                  `inverse of ${executionId} (to be reviewed like any action; it does not run without a verdict or approval):`,
                  JSON.stringify(undo.action, null, 2),
                  `digest: ${undo.digest}`,
                  `blast radius: ${undo.blastRadius.pods} pod(s), ${undo.blastRadius.users} user(s), ${undo.blastRadius.nodes} node(s)`,
                  ...undo.blastRadius.warnings.map((w) => `warning: ${w}`),
                  `execute it with: vigil actions undo ${executionId} --verdict <file> | --approval <file>`,
                ].join('\n'),
              { status: 'awaiting-review', ...undo },
            );
            return;
          }
          const authorisation = opts.verdict
            ? { kind: 'verdict' as const, jws: await readJws(opts.verdict, '--verdict') }
            : {
                kind: 'approval' as const,
                jws: await readJws(opts.approval as string, '--approval'),
              };
          const record = await opened.remediator.execute(undo.action, authorisation, {
            undoOf: executionId,
          });
          print(
            options,
            () =>
              `${record.state}: ${record.id} (${record.action.type}) undoes ${executionId}${record.error ? ` — ${record.error.code}: ${record.error.message}` : ''}`,
            record,
          );
          if (record.state !== 'done') {
            throw new VigilError(
              'VIGIL_REMEDIATOR_UNDO_FAILED',
              `undo ${record.id} is ${record.state}`,
            );
          }
        } finally {
          await opened.close();
        }
      },
    );
}

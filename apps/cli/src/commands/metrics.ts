import type { Command } from 'commander';
import { computeComplianceMetrics, renderComplianceTable } from '@vigil/audit';
import { spiffeIdOf } from '@vigil/registry';
import { parsePeriod } from '../compliance/period.js';
import { globalOptions, print } from '../context.js';
import { loadSystemVocabulary } from '../vocabulary.js';
import { openDeclaredAuditStore, parseDuration } from './audit.js';

/** `vigil metrics`: least agency, five-signal coverage, step mutation intervention rate. */
export function registerMetricsCommand(program: Command): void {
  program
    .command('metrics')
    .description('compliance metrics over a window of the audit trail (formulas: docs/audit.md)')
    .option('--window <duration>', 'how far back to look (e.g. 24h, 7d)', '24h')
    .option('--from <time>', 'window start instead of --window: ISO 8601 time or a duration back')
    .option('--to <time>', 'window end (exclusive), with --from; default now')
    .action(async (opts: { window: string; from?: string; to?: string }, cmd: Command) => {
      const options = globalOptions(cmd);
      const now = new Date();
      // --from/--to name the same window `vigil compliance report` takes.
      const { from: since, to: until } =
        opts.from === undefined && opts.to === undefined
          ? { from: new Date(now.getTime() - parseDuration(opts.window, '--window')), to: now }
          : parsePeriod(opts.from ?? opts.window, opts.to ?? 'now', now);
      const { system, store } = await openDeclaredAuditStore(options);
      try {
        const metrics = await computeComplianceMetrics(store, {
          agents: system.agents,
          spiffeIdOf: (name) => spiffeIdOf(system, name),
          since,
          until,
          vocabulary: (await loadSystemVocabulary(system)).audit,
        });
        print(options, () => renderComplianceTable(metrics), metrics);
      } finally {
        await store.close();
      }
    });
}

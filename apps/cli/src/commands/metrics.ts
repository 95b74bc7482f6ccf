import type { Command } from 'commander';
import { computeComplianceMetrics, renderComplianceTable } from '@vigil/audit';
import { spiffeIdOf } from '@vigil/registry';
import { globalOptions, print } from '../context.js';
import { openDeclaredAuditStore, parseDuration } from './audit.js';

/** `vigil metrics`: least agency, five-signal coverage, step mutation intervention rate. */
export function registerMetricsCommand(program: Command): void {
  program
    .command('metrics')
    .description('compliance metrics over a window of the audit trail (formulas: docs/audit.md)')
    .option('--window <duration>', 'how far back to look (e.g. 24h, 7d)', '24h')
    .action(async (opts: { window: string }, cmd: Command) => {
      const options = globalOptions(cmd);
      const until = new Date();
      const since = new Date(until.getTime() - parseDuration(opts.window, '--window'));
      const { system, store } = await openDeclaredAuditStore(options);
      try {
        const metrics = await computeComplianceMetrics(store, {
          agents: system.agents,
          spiffeIdOf: (name) => spiffeIdOf(system, name),
          since,
          until,
        });
        print(options, () => renderComplianceTable(metrics), metrics);
      } finally {
        await store.close();
      }
    });
}

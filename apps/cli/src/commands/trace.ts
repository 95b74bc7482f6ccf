import type { Command } from 'commander';
import { reconstructTrace, renderTraceTree, traceToJson } from '@vigil/audit';
import { globalOptions, print } from '../context.js';
import { openDeclaredAuditStore } from './audit.js';

/** `vigil trace <incident-or-trace-id>`: the decision chain, rebuilt from the audit store alone. */
export function registerTraceCommand(program: Command): void {
  program
    .command('trace')
    .description(
      'rebuild the decision chain of an incident or trace from the audit store (tree with timings)',
    )
    .argument('<id>', 'incident id or 32-hex W3C trace id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const options = globalOptions(cmd);
      const { store } = await openDeclaredAuditStore(options);
      try {
        const trace = await reconstructTrace(store, id);
        print(options, () => renderTraceTree(trace), traceToJson(trace));
      } finally {
        await store.close();
      }
    });
}

import type { Command } from 'commander';
import { reconstructTrace, renderTraceTree, traceToJson } from '@vigil/audit';
import { globalOptions, print } from '../context.js';
import { loadSystemVocabulary } from '../vocabulary.js';
import { openDeclaredAuditStore } from './audit.js';

/**
 * `vigil trace <correlation-or-trace-id>`: the decision chain, rebuilt from the audit store
 * alone, each step described by the system's vocabulary (`vocabulary` in vigil.yaml).
 */
export function registerTraceCommand(program: Command): void {
  program
    .command('trace')
    .description(
      "rebuild the decision chain of a correlation id (the system's incident, memo, …) or a trace from the audit store (tree with timings)",
    )
    .argument('<id>', 'correlation id (e.g. an incident id) or 32-hex W3C trace id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const options = globalOptions(cmd);
      const { system, store } = await openDeclaredAuditStore(options);
      try {
        const { audit } = await loadSystemVocabulary(system);
        const trace = await reconstructTrace(store, id, audit);
        print(options, () => renderTraceTree(trace), traceToJson(trace));
      } finally {
        await store.close();
      }
    });
}

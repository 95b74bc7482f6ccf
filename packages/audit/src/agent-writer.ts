import { openAuditStore, type AuditStorageConfig } from './open.js';
import { createAuditWriter, type AuditWriter } from './writer.js';

/** An agent's audit writer together with the store it owns. */
export interface AgentAuditWriter {
  readonly writer: AuditWriter;
  /** Writes the final signed checkpoint, then closes the store. */
  close(): Promise<void>;
}

/**
 * Opens the declared audit store and a writer chain signed by the agent's identity —
 * what every agent process of an agent system records its steps through.
 */
export async function openAgentAuditWriter(options: {
  readonly storage: AuditStorageConfig;
  readonly stateDir: string;
  readonly identity: { readonly spiffeId: string; readonly key: string; readonly cert: string };
}): Promise<AgentAuditWriter> {
  const store = await openAuditStore(options.storage, options.stateDir);
  const writer = createAuditWriter({
    store,
    signer: {
      id: options.identity.spiffeId,
      privateKeyPem: options.identity.key,
      certPem: options.identity.cert,
    },
  });
  return {
    writer,
    async close() {
      await writer.close();
      await store.close();
    },
  };
}

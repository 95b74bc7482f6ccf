import { openAuditStore, type AuditStorageConfig } from './open.js';
import type { AuditSigner } from './signing.js';
import { createAuditWriter, type AuditWriter } from './writer.js';

/** What an agent's credentials (`AgentCredentials` of `@vigil/pki`) provide for signing. */
export interface AgentIdentity {
  readonly spiffeId: string;
  readonly key: string;
  readonly cert: string;
}

function toSigner(identity: AgentIdentity): AuditSigner {
  return { id: identity.spiffeId, privateKeyPem: identity.key, certPem: identity.cert };
}

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
  /** The agent's credentials, or a function returning the current ones (follows rotation). */
  readonly identity: AgentIdentity | (() => AgentIdentity);
  /** The kinds the agent system registered (`AuditVocabulary.kinds`); any well-formed kind when absent. */
  readonly kinds?: ReadonlySet<string>;
}): Promise<AgentAuditWriter> {
  const store = await openAuditStore(options.storage, options.stateDir);
  const writer = createAuditWriter({
    store,
    signer:
      typeof options.identity === 'function'
        ? () => toSigner((options.identity as () => AgentIdentity)())
        : toSigner(options.identity),
    ...(options.kinds !== undefined ? { kinds: options.kinds } : {}),
  });
  return {
    writer,
    async close() {
      await writer.close();
      await store.close();
    },
  };
}

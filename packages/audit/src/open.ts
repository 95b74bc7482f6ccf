import { join, resolve } from 'node:path';
import { AuditError } from './errors.js';
import { PostgresAuditStore } from './postgres-store.js';
import { SqliteAuditStore } from './sqlite-store.js';
import type { AuditStore } from './store.js';

/** The `storage.audit` section of an AgentSystem (`@vigil/registry`). */
export interface AuditStorageConfig {
  readonly backend: 'sqlite' | 'postgres';
  /** PostgreSQL connection URL (postgres only). */
  readonly url?: string | undefined;
}

/** Where the embedded store lives inside a state directory. */
export function sqliteAuditPath(stateDir: string): string {
  return join(resolve(stateDir), 'data', 'audit.sqlite');
}

/**
 * Opens the audit store an AgentSystem declares: SQLite at `<stateDir>/data/audit.sqlite`
 * or PostgreSQL at `config.url`. Throws `VIGIL_AUDIT_CONFIG` when postgres has no URL,
 * `VIGIL_AUDIT_STORE` when the store cannot be opened.
 */
export async function openAuditStore(
  config: AuditStorageConfig,
  stateDir: string,
): Promise<AuditStore> {
  if (config.backend === 'sqlite') return new SqliteAuditStore(sqliteAuditPath(stateDir));
  if (config.backend === 'postgres') {
    if (config.url === undefined || config.url === '') {
      throw new AuditError(
        'VIGIL_AUDIT_CONFIG',
        'storage.audit.url: required when storage.audit.backend is postgres',
      );
    }
    return PostgresAuditStore.open(config.url);
  }
  throw new AuditError(
    'VIGIL_AUDIT_CONFIG',
    `storage.audit.backend: ${String((config as { backend: unknown }).backend)} is not sqlite or postgres`,
  );
}

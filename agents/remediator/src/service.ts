import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@vigil/core';
import { createDefaultRegistry } from './actions/catalogue/index.js';
import { createPolicyAuthoriser } from './authorisation.js';
import { RemediatorError, REMEDIATOR_ERROR_CODES } from './errors.js';
import { openDryRunExecutor } from './executors/dry-run-journal.js';
import { RoutingExecutor, type Executor } from './executors/executor.js';
import { WebhookExecutor } from './executors/webhook.js';
import { loadInventoryFile, type InventorySource } from './inventory/inventory.js';
import { KubernetesExecutor } from './kubernetes/kubernetes-executor.js';
import { KubernetesInventorySource } from './kubernetes/kubernetes-inventory.js';
import { Remediator } from './remediator.js';
import { resolveSettingsPath, type RemediatorSettings } from './settings.js';
import { ExecutionStore, type ExecutionLedger } from './store/execution-store.js';
import { PostgresExecutionStore } from './store/postgres-execution-store.js';

/** Files of the remediator under the state directory. */
export function remediatorPaths(stateDir: string): {
  dir: string;
  store: string;
  dryRunInventory: string;
  dryRunJournal: string;
} {
  const dir = join(stateDir, 'remediator');
  return {
    dir,
    store: join(dir, 'executions.db'),
    dryRunInventory: join(dir, 'dry-run-inventory.json'),
    dryRunJournal: join(dir, 'dry-run-journal.jsonl'),
  };
}

export interface OpenRemediatorOptions {
  readonly settings: RemediatorSettings;
  readonly stateDir: string;
  /** Directory relative settings paths are resolved against (vigil.yaml's). */
  readonly baseDir: string;
  readonly caPem: string;
  /** The reviewer's SPIFFE ID. */
  readonly reviewer: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  /**
   * `storage.state` of the declaration: on PostgreSQL the execution ledger is shared by
   * every remediator replica (default: SQLite under the state directory).
   */
  readonly state?: { readonly backend: 'sqlite' | 'postgres'; readonly url?: string | undefined };
}

/**
 * A `pending` execution older than this on a shared ledger crashed (no execution takes
 * this long: every request has its own deadline); a younger one may be another replica's.
 */
const SHARED_PENDING_STALE_MS = 10 * 60_000;

/** The execution ledger `state` names: SQLite at `path`, or PostgreSQL shared by replicas. */
export async function openExecutionLedger(
  state: OpenRemediatorOptions['state'],
  path: string,
): Promise<ExecutionLedger> {
  if (state?.backend === 'postgres') {
    if (state.url === undefined)
      throw new RemediatorError(
        REMEDIATOR_ERROR_CODES.invalid,
        'storage.state.url: required with backend postgres',
      );
    return PostgresExecutionStore.open(state.url);
  }
  return ExecutionStore.open(path);
}

/**
 * Builds the configured {@link Remediator}: the execution store under
 * `<stateDir>/remediator/`, the executor (`dry-run`: the inventory file, its state kept
 * in `dry-run-inventory.json` and `dry-run-journal.jsonl` across restarts so reconcile
 * sees what ran; `kubernetes`:
 * the default kubeconfig or in-cluster account), the identity-provider webhook when
 * configured, and the policy authoriser. Reconcile is the caller's first call.
 */
export async function openRemediator(options: OpenRemediatorOptions): Promise<{
  remediator: Remediator;
  store: ExecutionLedger;
  executor: Executor;
  close(): Promise<void>;
}> {
  const { settings } = options;
  const paths = remediatorPaths(options.stateDir);
  mkdirSync(paths.dir, { recursive: true });
  const store = await openExecutionLedger(options.state, paths.store);
  let kubernetes: Executor;
  let inventory: InventorySource;
  let closeState = (): void => {};
  if (settings.executor === 'dry-run') {
    const dry = await openDryRunExecutor(
      { inventory: paths.dryRunInventory, journal: paths.dryRunJournal },
      () => loadInventoryFile(resolveSettingsPath(settings.inventory, options.baseDir)),
    );
    kubernetes = dry.executor;
    inventory = dry.executor;
    closeState = dry.close;
  } else {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    kubernetes = new KubernetesExecutor(kc);
    inventory = new KubernetesInventorySource(kc, options.logger ? { logger: options.logger } : {});
  }
  let executor: Executor = kubernetes;
  if (settings.identityProvider && settings.executor !== 'dry-run') {
    const secret = (options.env ?? process.env)[settings.identityProvider.secretEnv];
    if (!secret) {
      throw new RemediatorError(
        REMEDIATOR_ERROR_CODES.invalid,
        `settings.identityProvider.secretEnv: environment variable ${settings.identityProvider.secretEnv} is not set`,
      );
    }
    executor = new RoutingExecutor(
      kubernetes,
      new WebhookExecutor({ 'identity-provider': { url: settings.identityProvider.url, secret } }),
    );
  }
  const remediator = new Remediator({
    registry: createDefaultRegistry(),
    executor,
    inventory,
    authoriser: createPolicyAuthoriser({ caPem: options.caPem, reviewer: options.reviewer }),
    store,
    ...(options.state?.backend === 'postgres'
      ? { pendingStaleAfterMs: SHARED_PENDING_STALE_MS }
      : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return {
    remediator,
    store,
    executor,
    async close() {
      await executor.close?.();
      await inventory.close?.();
      closeState();
      await store.close();
    },
  };
}

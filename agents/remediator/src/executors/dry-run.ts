import { randomUUID } from 'node:crypto';
import type { ApiRequest } from '../actions/requests.js';
import { httpRequestOf, type HttpRequestShape } from '../actions/requests.js';
import { applyRequestToInventory, writableCopy } from '../inventory/apply.js';
import { InventorySnapshot, type Inventory, type InventorySource } from '../inventory/inventory.js';
import type { InventoryDocument } from '../inventory/schema.js';
import type { Executor, RequestOutcome, SendContext } from './executor.js';

/** One request as the dry-run executor recorded it: what a cluster (or webhook) would see. */
export interface RecordedRequest {
  readonly request: ApiRequest;
  /** For Kubernetes requests: method, path, content type and body on the wire. */
  readonly http?: HttpRequestShape;
  readonly idempotencyKey: string;
  readonly outcome: RequestOutcome;
}

/** A request the dry-run executor applied, with what a replay needs to apply it alike. */
export interface AppliedRequest {
  readonly request: ApiRequest;
  /** The uid an object the request created got. */
  readonly uid: string;
}

/**
 * The default executor: applies requests to an in-memory inventory (answering as the API
 * server would: 404, 409 on a uid precondition…) and records exactly the request a
 * cluster would see. It is also the inventory source of the dry-run mode, so blast
 * radius and undo see its state. `onApplied` lets a caller persist each change before
 * its outcome is returned (see `openDryRunExecutor`).
 */
export class DryRunExecutor implements Executor, InventorySource {
  readonly name = 'dry-run';
  /**
   * Never changed once set, so snapshots can share it: a request is applied to a
   * `writableCopy`, which replaces the records it changes, and that copy replaces this.
   */
  #doc: InventoryDocument;
  #snapshot: InventorySnapshot | undefined;
  readonly #recorded: RecordedRequest[] = [];
  readonly #onApplied: ((applied: AppliedRequest) => void) | undefined;

  constructor(
    inventory: Inventory,
    options: { onApplied?: (applied: AppliedRequest) => void } = {},
  ) {
    this.#doc = inventory.toDocument();
    this.#onApplied = options.onApplied;
  }

  supports(request: ApiRequest): boolean {
    return request.kind === 'kubernetes' || request.kind === 'webhook';
  }

  send(request: ApiRequest, context: SendContext): Promise<RequestOutcome> {
    const next = writableCopy(this.#doc);
    const uid = randomUUID();
    const outcome = applyRequestToInventory(next, request, { uid });
    this.#recorded.push({
      request,
      ...(request.kind === 'kubernetes' ? { http: httpRequestOf(request) } : {}),
      idempotencyKey: context.idempotencyKey,
      outcome,
    });
    if (outcome.ok) {
      // Persisted first: if that throws, the state stays as it was.
      this.#onApplied?.({ request, uid });
      this.#doc = next;
      this.#snapshot = undefined;
    }
    return Promise.resolve(outcome);
  }

  /** Every request sent so far, in order. */
  recorded(): readonly RecordedRequest[] {
    return [...this.#recorded];
  }

  /** The current state; one snapshot serves every call until the next change. */
  inventory(): Promise<Inventory> {
    this.#snapshot ??= new InventorySnapshot(this.#doc, { copy: false });
    return Promise.resolve(this.#snapshot);
  }
}

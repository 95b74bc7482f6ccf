import type { ApiRequest } from '../actions/requests.js';
import { httpRequestOf, type HttpRequestShape } from '../actions/requests.js';
import { applyRequestToInventory } from '../inventory/apply.js';
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

/**
 * The default executor: applies requests to an in-memory inventory (answering as the API
 * server would: 404, 409 on a uid precondition…) and records exactly the request a
 * cluster would see. It is also the inventory source of the dry-run mode, so blast
 * radius and undo see its state. `onChange` lets a caller persist the state.
 */
export class DryRunExecutor implements Executor, InventorySource {
  readonly name = 'dry-run';
  readonly #doc: InventoryDocument;
  readonly #recorded: RecordedRequest[] = [];
  readonly #onChange: ((doc: InventoryDocument) => void) | undefined;

  constructor(inventory: Inventory, options: { onChange?: (doc: InventoryDocument) => void } = {}) {
    this.#doc = inventory.toDocument();
    this.#onChange = options.onChange;
  }

  supports(request: ApiRequest): boolean {
    return request.kind === 'kubernetes' || request.kind === 'webhook';
  }

  send(request: ApiRequest, context: SendContext): Promise<RequestOutcome> {
    const outcome = applyRequestToInventory(this.#doc, request);
    this.#recorded.push({
      request,
      ...(request.kind === 'kubernetes' ? { http: httpRequestOf(request) } : {}),
      idempotencyKey: context.idempotencyKey,
      outcome,
    });
    if (outcome.ok) this.#onChange?.(structuredClone(this.#doc));
    return Promise.resolve(outcome);
  }

  /** Every request sent so far, in order. */
  recorded(): readonly RecordedRequest[] {
    return [...this.#recorded];
  }

  inventory(): Promise<Inventory> {
    return Promise.resolve(new InventorySnapshot(this.#doc));
  }
}

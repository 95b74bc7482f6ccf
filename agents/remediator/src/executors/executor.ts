import type { ApiRequest } from '../actions/requests.js';

/**
 * The outcome of one request: a value, never an exception, for anything the far side
 * answers (a 404, a 409, a refused webhook). `status` is the HTTP status when there was
 * one; `code` a stable `VIGIL_REMEDIATOR_…` code for failures.
 */
export type RequestOutcome =
  | { readonly ok: true; readonly status: number; readonly response?: unknown }
  | {
      readonly ok: false;
      readonly status?: number;
      readonly code: string;
      readonly reason: string;
    };

/** Failure codes carried by {@link RequestOutcome}. */
export const OUTCOME_CODES = {
  unsupported: 'VIGIL_REMEDIATOR_UNSUPPORTED_REQUEST',
  notFound: 'VIGIL_REMEDIATOR_API_NOT_FOUND',
  conflict: 'VIGIL_REMEDIATOR_API_CONFLICT',
  invalid: 'VIGIL_REMEDIATOR_API_INVALID',
  forbidden: 'VIGIL_REMEDIATOR_API_FORBIDDEN',
  failed: 'VIGIL_REMEDIATOR_API_FAILED',
  unreachable: 'VIGIL_REMEDIATOR_UNREACHABLE',
} as const;

/** Maps an HTTP status to an outcome code. */
export function codeForStatus(status: number | undefined): string {
  if (status === 404) return OUTCOME_CODES.notFound;
  if (status === 409) return OUTCOME_CODES.conflict;
  if (status === 400 || status === 415 || status === 422) return OUTCOME_CODES.invalid;
  if (status === 401 || status === 403) return OUTCOME_CODES.forbidden;
  if (status === undefined) return OUTCOME_CODES.unreachable;
  return OUTCOME_CODES.failed;
}

/**
 * Carries planned requests out. One contract (`describeExecutorContract`) for every
 * implementation: {@link DryRunExecutor} (default: in-memory inventory, records what a
 * cluster would see), `KubernetesExecutor` (`@kubernetes/client-node`), `WebhookExecutor`
 * (signed HTTP POST), and `RoutingExecutor` (Kubernetes requests to one, webhooks to another).
 */
export interface Executor {
  /** `dry-run`, `kubernetes`, `webhook`, … recorded with each execution. */
  readonly name: string;
  /** Whether this executor can carry out `request`. */
  supports(request: ApiRequest): boolean;
  /**
   * Sends one request. Resolves with the outcome (failures included); rejects only on
   * programming errors. Unsupported requests resolve `{ ok: false, code: …UNSUPPORTED… }`.
   */
  send(request: ApiRequest, context: SendContext): Promise<RequestOutcome>;
  close?(): Promise<void>;
}

export interface SendContext {
  /** The execution's idempotency key, forwarded where the far side can use it. */
  readonly idempotencyKey: string;
  readonly signal?: AbortSignal;
}

export function unsupported(executor: string, request: ApiRequest): RequestOutcome {
  return {
    ok: false,
    code: OUTCOME_CODES.unsupported,
    reason: `the ${executor} executor cannot carry out "${request.summary}"`,
  };
}

/** Sends Kubernetes requests to one executor and webhook requests to another. */
export class RoutingExecutor implements Executor {
  readonly name: string;
  constructor(
    private readonly kubernetes: Executor,
    private readonly webhook: Executor,
  ) {
    this.name = `${kubernetes.name}+${webhook.name}`;
  }
  supports(request: ApiRequest): boolean {
    return (request.kind === 'kubernetes' ? this.kubernetes : this.webhook).supports(request);
  }
  send(request: ApiRequest, context: SendContext): Promise<RequestOutcome> {
    return (request.kind === 'kubernetes' ? this.kubernetes : this.webhook).send(request, context);
  }
  async close(): Promise<void> {
    await this.kubernetes.close?.();
    await this.webhook.close?.();
  }
}

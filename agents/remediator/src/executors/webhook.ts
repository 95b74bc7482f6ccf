import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ApiRequest } from '../actions/requests.js';
import {
  OUTCOME_CODES,
  codeForStatus,
  unsupported,
  type Executor,
  type RequestOutcome,
  type SendContext,
} from './executor.js';

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export const SIGNATURE_HEADER = 'x-vigil-signature';
export const EVENT_HEADER = 'x-vigil-event';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

export interface WebhookEndpoint {
  readonly url: string;
  /** Shared HMAC secret. Never logged. */
  readonly secret: string;
  readonly timeoutMs?: number;
}

/** The signature header value for `body` sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * Verifies a webhook signature as a receiver must: the HMAC over timestamp + raw body,
 * compared in constant time, and the timestamp within `toleranceSeconds` of `now` (replay
 * window). Returns a reason string on failure, `true` when valid.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  body: string,
  options: { now?: Date; toleranceSeconds?: number } = {},
): true | string {
  if (!header) return 'missing signature';
  const parts = Object.fromEntries(
    header.split(',').map((kv) => kv.split('=') as [string, string]),
  );
  const t = Number(parts['t']);
  const v1 = parts['v1'];
  if (!Number.isInteger(t) || !v1) return 'malformed signature';
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300))
    return 'timestamp outside the tolerance';
  const expected = Buffer.from(signWebhook(secret, t, body).split('v1=')[1] ?? '', 'hex');
  const given = Buffer.from(v1, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad signature';
  return true;
}

/**
 * Carries webhook requests out: a signed HTTP POST (JSON `{ event, idempotencyKey, data }`)
 * to the endpoint configured under the request's endpoint name, with the
 * {@link SIGNATURE_HEADER} (HMAC-SHA256 over timestamp + body), the event and an
 * `Idempotency-Key` the receiver can deduplicate on. 2xx is success; anything else, or
 * no answer within the timeout, a failed outcome.
 */
export class WebhookExecutor implements Executor {
  readonly name = 'webhook';
  readonly #endpoints: Readonly<Record<string, WebhookEndpoint>>;
  readonly #now: () => Date;

  constructor(
    endpoints: Readonly<Record<string, WebhookEndpoint>>,
    options: { now?: () => Date } = {},
  ) {
    this.#endpoints = endpoints;
    this.#now = options.now ?? (() => new Date());
  }

  supports(request: ApiRequest): boolean {
    return request.kind === 'webhook' && this.#endpoints[request.endpoint] !== undefined;
  }

  async send(request: ApiRequest, context: SendContext): Promise<RequestOutcome> {
    if (request.kind !== 'webhook') return unsupported(this.name, request);
    const endpoint = this.#endpoints[request.endpoint];
    if (!endpoint) return unsupported(this.name, request);
    const body = JSON.stringify({
      event: request.event,
      idempotencyKey: context.idempotencyKey,
      data: request.body,
    });
    const timestamp = Math.floor(this.#now().getTime() / 1000);
    const signal = AbortSignal.timeout(endpoint.timeoutMs ?? 10_000);
    try {
      const response = await fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signWebhook(endpoint.secret, timestamp, body),
          [EVENT_HEADER]: request.event,
          [IDEMPOTENCY_HEADER]: context.idempotencyKey,
        },
        body,
        signal: context.signal ? AbortSignal.any([signal, context.signal]) : signal,
      });
      const text = await response.text();
      if (response.ok) return { ok: true, status: response.status, response: text.slice(0, 1000) };
      return {
        ok: false,
        status: response.status,
        code: codeForStatus(response.status),
        reason: text.slice(0, 300) || response.statusText,
      };
    } catch (error) {
      return {
        ok: false,
        code: OUTCOME_CODES.unreachable,
        reason: `${request.endpoint}: ${(error as Error).message}`,
      };
    }
  }
}

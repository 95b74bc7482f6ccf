import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Action } from '../actions/action.js';
import { createDefaultRegistry } from '../actions/catalogue/index.js';
import { httpRequestOf, type ApiRequest } from '../actions/requests.js';
import type { Inventory } from '../inventory/inventory.js';
import { executePlan } from './execute-plan.js';
import type { Executor } from './executor.js';

/** What the far side of an executor saw, normalised for comparison with the plan. */
export type SeenRequest =
  | {
      kind: 'kubernetes';
      method: string;
      path: string;
      contentType: string | undefined;
      body: unknown;
    }
  | { kind: 'webhook'; event: string | undefined; body: unknown; signatureValid: boolean };

export interface ExecutorHarness {
  readonly executor: Executor;
  /** The far side's state as an inventory (the cluster, the identity provider's users…). */
  observe(): Promise<Inventory>;
  /** Every request the far side received, in order. */
  seen(): SeenRequest[];
  /** Sample actions this executor carries out entirely. */
  readonly actions: readonly Action[];
  close(): Promise<void>;
}

/**
 * The one contract every {@link Executor} passes: planned requests reach the far side
 * exactly as planned (method, path, content type, body; signed for webhooks), their
 * effect is observable there, undo restores it, failures are values, and requests it
 * cannot carry out are refused without being sent.
 */
export function describeExecutorContract(
  name: string,
  factory: () => Promise<ExecutorHarness>,
): void {
  const registry = createDefaultRegistry();
  describe(`Executor contract: ${name}`, () => {
    test('sends each planned request exactly as planned and its effect is observable', async () => {
      const first = await factory();
      after(() => first.close());
      assert.ok(first.actions.length > 0);
      for (const action of first.actions) {
        // A fresh far side per action: actions interact (a block would release an isolated pod).
        const h = await factory();
        after(() => h.close());
        const a = registry.assess(action, await h.observe());
        const before = h.seen().length;
        const result = await executePlan(h.executor, a.plan, `key-${action.type}`);
        assert.ok(result.ok, `${action.type}: ${JSON.stringify(result.steps)}`);
        const seen = h.seen().slice(before);
        assert.deepEqual(seen, a.plan.requests.map(expected), action.type);
        assert.equal(
          a.definition.observe(a.action, a.plan.memo, await h.observe()),
          'applied',
          action.type,
        );
      }
    });

    test('undo of each reversible action restores the far side', async () => {
      const first = await factory();
      after(() => first.close());
      for (const action of first.actions) {
        const h = await factory();
        after(() => h.close());
        const start = await h.observe();
        const a = registry.assess(action, start);
        if (!a.reversible) continue;
        assert.ok((await executePlan(h.executor, a.plan, 'do')).ok, action.type);
        const inverse = a.definition.undo?.(a.action, a.plan.memo);
        assert.ok(inverse, action.type);
        const u = registry.assess(inverse, await h.observe());
        assert.ok((await executePlan(h.executor, u.plan, 'undo')).ok, inverse.type);
        assert.equal(
          a.definition.observe(a.action, a.plan.memo, await h.observe()),
          'not-applied',
          action.type,
        );
      }
    });

    test('a request for a missing object resolves a failed outcome, not a throw', async () => {
      const h = await factory();
      after(() => h.close());
      const first = registry.assess(h.actions[0], await h.observe()).plan.requests[0];
      assert.ok(first);
      const missing: ApiRequest =
        first.kind === 'kubernetes'
          ? {
              ...first,
              verb: first.verb === 'create' ? 'delete' : first.verb,
              name: 'does-not-exist',
              body:
                first.verb === 'create' ? { apiVersion: 'v1', kind: 'DeleteOptions' } : first.body,
            }
          : { ...first, body: { ...first.body, user: 'nobody@example.com' } };
      const outcome = await h.executor.send(missing, { idempotencyKey: 'missing' });
      assert.equal(outcome.ok, false);
      assert.ok(!outcome.ok && outcome.status === 404, JSON.stringify(outcome));
    });

    test('refuses, without sending, a request it cannot carry out', async () => {
      const h = await factory();
      after(() => h.close());
      const foreign: ApiRequest[] = [
        {
          kind: 'kubernetes',
          verb: 'delete',
          resource: 'Namespace',
          name: 'shop',
          body: {},
          summary: 'delete namespace shop',
        },
        { kind: 'webhook', endpoint: 'no-such-endpoint', event: 'x', body: {}, summary: 'x' },
      ];
      for (const request of foreign) {
        const before = h.seen().length;
        if (h.executor.supports(request)) continue; // the dry-run executor models every request kind
        const outcome = await h.executor.send(request, { idempotencyKey: 'u' });
        assert.ok(
          !outcome.ok && outcome.code === 'VIGIL_REMEDIATOR_UNSUPPORTED_REQUEST',
          request.summary,
        );
        assert.equal(h.seen().length, before, 'nothing sent');
      }
    });
  });
}

function expected(request: ApiRequest): SeenRequest {
  if (request.kind === 'kubernetes') {
    const http = httpRequestOf(request);
    return {
      kind: 'kubernetes',
      method: http.method,
      path: http.path,
      contentType: http.contentType,
      body: http.body,
    };
  }
  return { kind: 'webhook', event: request.event, body: request.body, signatureValid: true };
}

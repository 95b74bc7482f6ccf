/**
 * The one contract every {@link PolicyEngine} backend passes (run by
 * `wasm-engine.int.test.ts` and `server-engine.int.test.ts`): the SOC policy's decisions
 * on a table of cases, the bounded review loop, the bundle revision, and fail-closed
 * behaviour on malformed input, unknown actions, engine errors and timeouts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bundleRevision, loadPolicySource } from './bundle.js';
import { POLICY_ERROR_CODES } from './errors.js';
import type { EngineOptions } from './guarded-engine.js';
import { MAX_ROUNDS_RULE, reviewAction } from './review.js';
import {
  DELETE_IN_PROD,
  POLICY_CASES,
  SCALE_WEB,
  SOC_BUNDLE_DIR,
  SOC_DATA,
  SOC_ENTRYPOINT,
  WIDE_BLOCK,
  baseInput,
  inputWith,
} from './testing/fixtures.js';
import type { PolicyEngine } from './types.js';

export interface PolicyEngineFactory {
  /** An engine serving the SOC bundle with `data` (default {@link SOC_DATA}). */
  create(options?: EngineOptions & { data?: Record<string, unknown> }): Promise<PolicyEngine>;
  /** An engine of this backend whose evaluations fail (trap, server gone…). */
  broken(options?: EngineOptions): Promise<PolicyEngine>;
  /** An engine of this backend whose evaluations exceed `timeoutMs`. */
  slow(options: EngineOptions & { timeoutMs: number }): Promise<PolicyEngine>;
}

export function describePolicyEngineContract(name: string, factory: PolicyEngineFactory): void {
  describe(`PolicyEngine contract: ${name}`, () => {
    test('records the bundle revision: a digest of the policy sources, entrypoint and data', async (t) => {
      const engine = await factory.create();
      t.after(() => engine.close());
      const expected = bundleRevision(
        await loadPolicySource(SOC_BUNDLE_DIR),
        SOC_ENTRYPOINT,
        SOC_DATA,
      );
      assert.equal(engine.revision, expected);
      assert.equal((await engine.evaluate(baseInput())).revision, expected);
    });

    test('changes the revision when the policy data changes', async (t) => {
      const data = {
        ...SOC_DATA,
        escalation: { ...(SOC_DATA['escalation'] as object), maxBlastRadius: 0 },
      };
      const engine = await factory.create({ data });
      t.after(() => engine.close());
      assert.notEqual(
        engine.revision,
        bundleRevision(await loadPolicySource(SOC_BUNDLE_DIR), SOC_ENTRYPOINT, SOC_DATA),
      );
      // …and the data is what the policy decides with.
      const decision = await engine.evaluate(baseInput());
      assert.equal(decision.decision, 'escalate');
      assert.deepEqual(decision.rules, ['escalate.blast-radius']);
    });

    for (const c of POLICY_CASES) {
      test(c.name, async (t) => {
        const engine = await factory.create();
        t.after(() => engine.close());
        const decision = await engine.evaluate(c.input);
        assert.equal(decision.decision, c.decision, JSON.stringify(decision));
        assert.deepEqual(decision.rules, c.rules);
        assert.equal(decision.reasons.length, c.rules.length);
        if (c.reasons !== undefined) assert.deepEqual(decision.reasons, c.reasons);
        if (c.confidence !== undefined) assert.equal(decision.confidence, c.confidence);
        assert.deepEqual(decision.mutatedAction, c.mutatedAction);
        assert.equal(decision.failClosed, undefined);
      });
    }

    describe('review loop', () => {
      test('reviews a mutated action again and returns it as the action to execute', async (t) => {
        const engine = await factory.create();
        t.after(() => engine.close());
        const verdict = await reviewAction(engine, DELETE_IN_PROD);
        assert.equal(verdict.decision, 'mutate');
        assert.equal(verdict.rounds.length, 2);
        assert.equal(verdict.rounds[1]?.decision, 'allow');
        assert.deepEqual(verdict.action, DELETE_IN_PROD.action);
        assert.deepEqual(verdict.mutatedAction, {
          type: 'isolate-pod',
          target: { namespace: 'prod', pod: 'api-7' },
          parameters: {},
        });
        assert.deepEqual(verdict.reviewedAction, verdict.mutatedAction);
        assert.deepEqual(verdict.rules, ['mutate.delete-pod-to-isolate', 'allow.no-objection']);
      });

      test('a rewritten action that a later round escalates is escalated', async (t) => {
        // The rewrite (isolate-pod) is not in this requester's autonomy list.
        const data = structuredClone(SOC_DATA) as {
          agents: { remediator: { autoExecute: string[] } };
        };
        data.agents.remediator.autoExecute = ['scale-to-zero'];
        const strict = await factory.create({ data: data as unknown as Record<string, unknown> });
        t.after(() => strict.close());
        const verdict = await reviewAction(strict, SCALE_WEB);
        assert.equal(verdict.decision, 'escalate');
        assert.deepEqual(verdict.rules, [
          'mutate.scale-to-zero-to-isolate',
          'escalate.not-autonomous',
        ]);
        assert.equal(verdict.mutatedAction, undefined);
        assert.equal(verdict.reviewedAction.type, 'isolate-pod');
      });

      test('escalates once maxReviewRounds rounds have not settled', async (t) => {
        const engine = await factory.create();
        t.after(() => engine.close());
        const verdict = await reviewAction(engine, WIDE_BLOCK, { maxReviewRounds: 1 });
        assert.equal(verdict.decision, 'escalate');
        assert.equal(verdict.rules.at(-1), MAX_ROUNDS_RULE);
        assert.equal(verdict.rounds.length, 1);
        assert.equal(verdict.mutatedAction, undefined);
      });

      test('reviews the rewrite with the input reassess builds', async (t) => {
        const engine = await factory.create();
        t.after(() => engine.close());
        const verdict = await reviewAction(engine, SCALE_WEB, {
          reassess: (mutated, previous) => ({
            ...previous,
            action: mutated,
            blastRadius: { pods: 2, replicas: 0, users: 0 },
          }),
        });
        assert.equal(verdict.decision, 'mutate');
        assert.deepEqual(verdict.mutatedAction?.target, { namespace: 'shop', pod: 'web-b' });
      });

      test('fails closed when reassess throws', async (t) => {
        const engine = await factory.create();
        t.after(() => engine.close());
        const verdict = await reviewAction(engine, SCALE_WEB, {
          failClosed: 'escalate',
          reassess: () => {
            throw new Error('inventory unavailable');
          },
        });
        assert.equal(verdict.decision, 'escalate');
        assert.equal(verdict.failClosed?.code, POLICY_ERROR_CODES.ENGINE_ERROR);
      });
    });

    describe('fails closed', () => {
      test('on malformed input, naming the fields, never allow', async (t) => {
        const engine = await factory.create();
        t.after(() => engine.close());
        const { asset: _asset, ...noAsset } = baseInput();
        for (const bad of [
          noAsset,
          inputWith({ detectorScore: 7 }),
          inputWith({ requester: { spiffeId: 'remediator' } }),
          { ...baseInput(), extra: true },
          null,
          'isolate everything',
        ]) {
          const decision = await engine.evaluate(bad);
          assert.equal(decision.decision, 'deny');
          assert.deepEqual(decision.rules, ['vigil.fail-closed.input-invalid']);
          assert.equal(decision.failClosed?.code, POLICY_ERROR_CODES.INPUT_INVALID);
          assert.equal(decision.confidence, 0);
        }
        const missing = await engine.evaluate(noAsset);
        assert.match(missing.reasons[0] ?? '', /asset: /);
        const verdict = await reviewAction(engine, inputWith({ detectorScore: -1 }));
        assert.equal(verdict.decision, 'deny');
        assert.match(verdict.reasons[0] ?? '', /detectorScore/);
      });

      test('on malformed input to escalate when configured so', async (t) => {
        const engine = await factory.create({ failClosed: 'escalate' });
        t.after(() => engine.close());
        const decision = await engine.evaluate({ action: { type: 'isolate-pod' } });
        assert.equal(decision.decision, 'escalate');
        assert.deepEqual(decision.rules, ['vigil.fail-closed.input-invalid']);
      });

      test('on action types outside knownActionTypes before the policy runs', async (t) => {
        const engine = await factory.create({ knownActionTypes: ['isolate-pod'] });
        t.after(() => engine.close());
        const decision = await engine.evaluate(DELETE_IN_PROD);
        assert.equal(decision.decision, 'deny');
        assert.deepEqual(decision.rules, ['vigil.fail-closed.unknown-action']);
        assert.equal((await engine.evaluate(baseInput())).decision, 'allow');
      });

      for (const failClosed of ['deny', 'escalate'] as const) {
        test(`on engine errors (${failClosed})`, async (t) => {
          const engine = await factory.broken({ failClosed });
          t.after(() => engine.close());
          const decision = await engine.evaluate(baseInput());
          assert.equal(decision.decision, failClosed);
          assert.deepEqual(decision.rules, ['vigil.fail-closed.engine-error']);
          assert.equal(decision.failClosed?.code, POLICY_ERROR_CODES.ENGINE_ERROR);
          const verdict = await reviewAction(engine, baseInput());
          assert.equal(verdict.decision, failClosed);
        });

        test(`on timeouts (${failClosed})`, async (t) => {
          const engine = await factory.slow({ failClosed, timeoutMs: 50 });
          t.after(() => engine.close());
          const decision = await engine.evaluate(baseInput());
          assert.equal(decision.decision, failClosed);
          assert.deepEqual(decision.rules, ['vigil.fail-closed.timeout']);
          assert.equal(decision.failClosed?.code, POLICY_ERROR_CODES.TIMEOUT);
        });
      }

      test('after close', async () => {
        const engine = await factory.create();
        await engine.close();
        const decision = await engine.evaluate(baseInput());
        assert.equal(decision.decision, 'deny');
        assert.deepEqual(decision.rules, ['vigil.fail-closed.engine-error']);
      });
    });
  });
}

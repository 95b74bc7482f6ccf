import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { digestOf } from '@vigil/core';
import {
  describePolicyRules,
  loadPolicySource,
  loadPolicyTestModules,
  runPolicyTests,
  type PolicyTestReport,
} from '@vigil/policy';
import { resolveSystemPath } from '@vigil/registry';
import { readSources } from './read-access.js';
import { policiesSchema } from './read-schemas.js';
import type { ReadSources } from './read-sources.js';
import { ERROR_RESPONSES } from './routes-core.js';

interface TestRun {
  readonly key: string;
  readonly run: Promise<{ report: PolicyTestReport | null; error: string | null }>;
}

/**
 * `GET /v1/policies`: the bundle revision the reviewer loaded last (its `policy-load`
 * audit entry, which every verdict names), the rules of the bundle on disk with the tests
 * that name them and their `opa test --coverage` result. The tests run once per content
 * of the bundle and its tests (a digest of both), not per request.
 */
export function registerPolicyRoutes(app: FastifyInstance, deps: () => ReadSources | undefined) {
  let tests: TestRun | undefined;
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/policies',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'The policy bundle: revision, rules and their test coverage',
        tags: ['policies'],
        response: { 200: policiesSchema, ...ERROR_RESPONSES },
      },
    },
    async () => {
      const { system, audit } = readSources(deps);
      const dir = resolveSystemPath(system, system.policy.bundle);
      const source = await loadPolicySource(dir);
      const testModules = await loadPolicyTestModules(dir);
      const key = digestOf({ source: source.digest, tests: testModules });
      if (tests?.key !== key)
        tests = {
          key,
          run: runPolicyTests(dir).then(
            (report) => ({ report, error: null }),
            (error: unknown) => ({
              report: null,
              error: error instanceof Error ? error.message : String(error),
            }),
          ),
        };
      const { report, error } = await tests.run;
      let loaded: { revision: string; backend: string; at: string } | undefined;
      for await (const e of audit.query({ kinds: ['policy-load'] }))
        if (typeof e.what['revision'] === 'string')
          loaded = {
            revision: e.what['revision'],
            backend: typeof e.what['backend'] === 'string' ? e.what['backend'] : 'unknown',
            at: e.time,
          };
      return {
        revision: loaded?.revision ?? null,
        loadedAt: loaded?.at ?? null,
        backend: loaded?.backend ?? null,
        bundle: system.policy.bundle,
        sourceDigest: source.digest,
        tests:
          report === null
            ? null
            : {
                passed: report.passed,
                failed: report.failed,
                failures: report.failures,
                coveragePercent: report.coveragePercent,
              },
        testError: error,
        rules: describePolicyRules(source, testModules, report),
      };
    },
  );
}

import { resolve } from 'node:path';
import type { Command } from 'commander';
import { OpaWasmPolicyEngine, policyDataFromSystem, type PolicyEngine } from '@vigil/policy';
import { ACTION_TYPES } from '@vigil/soc';
import { diffPolicies, renderPolicyDiff } from '../policy-diff/replay.js';
import { globalOptions, print } from '../context.js';
import { openDeclaredAuditStore, parseDuration } from './audit.js';

interface DiffFlags {
  since?: string;
  entrypoint: string;
}

/**
 * `vigil policy diff <bundle-a> <bundle-b>`: shadow evaluation of a policy change. Every
 * verdict the audit trail recorded (with its policy input) is replayed through both
 * bundles, compiled by the real OPA with the same vigil.yaml data, and each decision they
 * make differently is listed with the rules that fired on each side (docs/eval.md).
 */
export function registerPolicyDiffCommand(policy: Command, defaultEntrypoint: string): void {
  policy
    .command('diff')
    .description(
      'replay the recorded verdicts of the audit trail through two bundles and list every decision that would change',
    )
    .argument('<bundle-a>', 'policy directory of the current bundle')
    .argument('<bundle-b>', 'policy directory of the proposed bundle')
    .option('--since <duration>', 'only verdicts recorded within this period, e.g. 7d, 12h')
    .option('--entrypoint <path>', 'rule to evaluate', defaultEntrypoint)
    .action(async (bundleA: string, bundleB: string, flags: DiffFlags, cmd: Command) => {
      const options = globalOptions(cmd);
      const since =
        flags.since === undefined
          ? undefined
          : new Date(Date.now() - parseDuration(flags.since, '--since'));
      const { system, store } = await openDeclaredAuditStore(options);
      const engines: PolicyEngine[] = [];
      try {
        const create = async (dir: string): Promise<PolicyEngine> => {
          const engine = await OpaWasmPolicyEngine.create({
            bundleDir: resolve(dir),
            entrypoint: flags.entrypoint,
            data: policyDataFromSystem(system),
            failClosed: system.policy.failClosed,
            knownActionTypes: ACTION_TYPES,
          });
          engines.push(engine);
          return engine;
        };
        const a = await create(bundleA);
        const b = await create(bundleB);
        const diff = await diffPolicies(
          store.query({ kinds: ['verdict'], ...(since === undefined ? {} : { since }) }),
          { a, b },
          { maxReviewRounds: system.policy.maxReviewRounds, failClosed: system.policy.failClosed },
        );
        print(options, () => renderPolicyDiff(diff), {
          bundles: { a: resolve(bundleA), b: resolve(bundleB) },
          since: since?.toISOString() ?? null,
          ...diff,
        });
      } finally {
        await Promise.all(engines.map((e) => e.close()));
        await store.close();
      }
    });
}

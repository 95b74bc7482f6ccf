import { readFile, copyFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { VigilError } from '@vigil/core';
import {
  OpaServerPolicyEngine,
  OpaWasmPolicyEngine,
  buildWasmBundle,
  bundleRevision,
  loadPolicySource,
  policyDataFromSystem,
  reviewAction,
  runPolicyTests,
  type PolicyEngine,
  type Verdict,
} from '@vigil/policy';
import { loadAgentSystem, resolveSystemPath, type AgentSystem } from '@vigil/registry';
import { UsageError, globalOptions, print, type GlobalOptions } from '../context.js';
import { registerPolicyDiffCommand } from './policy-diff.js';

/** The SOC review rule: the entrypoint both backends serve. */
export const DEFAULT_ENTRYPOINT = 'vigil/soc/review/verdict';

async function loadSystem(options: GlobalOptions): Promise<AgentSystem> {
  return loadAgentSystem(options.config);
}

/** The bundle directory: `--dir`, else vigil.yaml `policy.bundle` relative to vigil.yaml. */
async function bundleDirOf(
  options: GlobalOptions,
  dir: string | undefined,
): Promise<{ dir: string; system?: AgentSystem }> {
  if (dir !== undefined) return { dir: resolve(dir) };
  const system = await loadSystem(options);
  return { dir: resolveSystemPath(system, system.policy.bundle), system };
}

function renderVerdict(verdict: Verdict): string {
  const lines = [
    `decision:   ${verdict.decision}`,
    `confidence: ${verdict.confidence}`,
    `revision:   ${verdict.revision}`,
  ];
  verdict.rounds.forEach((round, index) => {
    lines.push(`round ${index + 1}: ${round.decision}`);
    round.rules.forEach((rule, i) => lines.push(`  - ${rule}: ${round.reasons[i] ?? ''}`));
  });
  if (verdict.rules.includes('vigil.review.max-rounds'))
    lines.push(`  - vigil.review.max-rounds: ${verdict.reasons.at(-1) ?? ''}`);
  if (verdict.mutatedAction !== undefined) {
    lines.push(`execute instead: ${JSON.stringify(verdict.mutatedAction)}`);
  }
  return lines.join('\n');
}

/** `vigil policy test | eval | build | diff`: tools for policy authors (docs/policy.md, docs/eval.md). */
export function registerPolicyCommand(program: Command): void {
  const policy = program
    .command('policy')
    .description('OPA policies: unit tests, evaluation, wasm bundle, change review');

  policy
    .command('test')
    .description('run the Rego unit tests (opa test) with line coverage of the policy files')
    .option('--dir <dir>', 'policy directory (default: policy.bundle of vigil.yaml)')
    .option('--min-coverage <percent>', 'fail below this line coverage', '90')
    .action(async (flags: { dir?: string; minCoverage: string }, cmd: Command) => {
      const options = globalOptions(cmd);
      const min = Number(flags.minCoverage);
      if (!Number.isFinite(min) || min < 0 || min > 100)
        throw new UsageError('--min-coverage must be a number between 0 and 100');
      const { dir } = await bundleDirOf(options, flags.dir);
      const report = await runPolicyTests(dir);
      print(
        options,
        () =>
          [
            `${report.passed} passed, ${report.failed} failed`,
            ...report.failures.map((f) => `FAIL ${f.name} (${f.location}): ${f.message}`),
            `coverage ${report.coveragePercent.toFixed(1)}% of policy lines (minimum ${min}%)`,
            ...report.files.map(
              (f) =>
                `  ${f.percent.toFixed(1).padStart(5)}%  ${f.path}${f.notCoveredLines.length > 0 ? `  not covered: ${f.notCoveredLines.join(', ')}` : ''}`,
            ),
          ].join('\n'),
        { ...report, minCoverage: min },
      );
      if (report.failed > 0)
        throw new VigilError('VIGIL_POLICY_TESTS_FAILED', `${report.failed} policy test(s) failed`);
      if (report.coveragePercent < min) {
        throw new VigilError(
          'VIGIL_POLICY_COVERAGE',
          `coverage ${report.coveragePercent.toFixed(1)}% is below ${min}%`,
        );
      }
    });

  policy
    .command('eval')
    .description(
      'review one proposed action (a policy input JSON file) and print the verdict with reasons and rules',
    )
    .requiredOption(
      '--input <file>',
      'policy input JSON ("-" for stdin): action, asset, blastRadius, analysis, detectorScore, requester, time',
    )
    .option('--engine <engine>', 'wasm | server (default: policy.engine of vigil.yaml)')
    .option('--server-url <url>', 'OPA server URL for --engine server (default: policy.serverUrl)')
    .option('--entrypoint <path>', 'rule to evaluate', DEFAULT_ENTRYPOINT)
    .action(
      async (
        flags: { input: string; engine?: string; serverUrl?: string; entrypoint: string },
        cmd: Command,
      ) => {
        const options = globalOptions(cmd);
        const system = await loadSystem(options);
        let text: string;
        try {
          text =
            flags.input === '-' ? await readStdin() : await readFile(resolve(flags.input), 'utf8');
        } catch (cause) {
          throw new UsageError(`cannot read --input ${flags.input}: ${(cause as Error).message}`);
        }
        let input: unknown;
        try {
          input = JSON.parse(text);
        } catch (cause) {
          throw new UsageError(`--input ${flags.input} is not JSON: ${(cause as Error).message}`);
        }
        const kind = flags.engine ?? system.policy.engine;
        if (kind !== 'wasm' && kind !== 'server')
          throw new UsageError(`--engine must be wasm or server, not ${kind}`);
        const common = {
          bundleDir: resolveSystemPath(system, system.policy.bundle),
          entrypoint: flags.entrypoint,
          data: policyDataFromSystem(system),
          failClosed: system.policy.failClosed,
        };
        let engine: PolicyEngine;
        if (kind === 'server') {
          const url = flags.serverUrl ?? system.policy.serverUrl;
          if (url === undefined)
            throw new UsageError('--engine server needs --server-url or policy.serverUrl');
          engine = await OpaServerPolicyEngine.create({ ...common, url });
        } else {
          engine = await OpaWasmPolicyEngine.create(common);
        }
        try {
          const verdict = await reviewAction(engine, input, {
            maxReviewRounds: system.policy.maxReviewRounds,
            failClosed: system.policy.failClosed,
          });
          print(options, () => renderVerdict(verdict), { backend: engine.backend, ...verdict });
        } finally {
          await engine.close();
        }
      },
    );

  policy
    .command('build')
    .description('compile the policy to WebAssembly (opa build -t wasm) into the cache, or --out')
    .option('--dir <dir>', 'policy directory (default: policy.bundle of vigil.yaml)')
    .option('--entrypoint <path>', 'rule to compile', DEFAULT_ENTRYPOINT)
    .option('--out <file>', 'also copy the compiled policy.wasm here')
    .action(async (flags: { dir?: string; entrypoint: string; out?: string }, cmd: Command) => {
      const options = globalOptions(cmd);
      const { dir, system } = await bundleDirOf(options, flags.dir);
      const source = await loadPolicySource(dir);
      const bundle = await buildWasmBundle(source, flags.entrypoint);
      if (flags.out !== undefined) await copyFile(bundle.path, resolve(flags.out));
      const revision =
        system === undefined
          ? undefined
          : bundleRevision(source, flags.entrypoint, policyDataFromSystem(system));
      const result = {
        dir,
        entrypoint: flags.entrypoint,
        modules: Object.keys(source.modules),
        sourceDigest: source.digest,
        revision,
        wasm: bundle.path,
        bytes: bundle.wasm.byteLength,
        built: bundle.built,
        out: flags.out === undefined ? undefined : resolve(flags.out),
      };
      print(
        options,
        () =>
          [
            `${bundle.built ? 'built' : 'up to date'}: ${bundle.path} (${bundle.wasm.byteLength} bytes)`,
            `source ${source.digest} (${result.modules.length} modules from ${dir})`,
            ...(revision === undefined ? [] : [`revision with vigil.yaml data: ${revision}`]),
            ...(result.out === undefined ? [] : [`copied to ${result.out}`]),
          ].join('\n'),
        result,
      );
    });

  registerPolicyDiffCommand(policy, DEFAULT_ENTRYPOINT);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

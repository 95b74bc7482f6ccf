import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { VigilError } from '@vigil/core';
import { normaliseEvent } from '@vigil/detector';
import { loadAgentSystem } from '@vigil/registry';
import { readLabelledScenario } from '../eval/labelled.js';
import { runLiveSystem, type AnalystKind } from '../eval/live-system.js';
import { renderEval, type AnalystRun, type EvalDocument } from '../eval/render.js';
import { scoreRun, type ModelPricing } from '../eval/score.js';
import { checkThresholds, readThresholds, type Thresholds } from '../eval/thresholds.js';
import { UsageError, globalOptions, print } from '../context.js';

interface EvalFlags {
  analyst: string;
  thresholds?: string;
  timeout: string;
  priceIn?: string;
  priceOut?: string;
  keepState?: boolean;
}

function analystsOf(text: string): AnalystKind[] {
  const list = text.split(',').map((s) => s.trim());
  for (const a of list)
    if (a !== 'offline' && a !== 'model')
      throw new UsageError(`--analyst takes offline, model or offline,model; not "${a}"`);
  if (new Set(list).size !== list.length) throw new UsageError(`--analyst lists "${text}" twice`);
  return list as AnalystKind[];
}

function pricingOf(flags: EvalFlags): ModelPricing | undefined {
  if (flags.priceIn === undefined && flags.priceOut === undefined) return undefined;
  const n = (name: string, v: string | undefined): number => {
    const x = Number(v);
    if (v === undefined || !Number.isFinite(x) || x < 0)
      throw new UsageError(
        `${name} needs a price in USD per million tokens (both --price-in and --price-out)`,
      );
    return x;
  };
  return {
    inputPerMTok: n('--price-in', flags.priceIn),
    outputPerMTok: n('--price-out', flags.priceOut),
  };
}

/**
 * `vigil eval <labelled.ndjson>`: runs a labelled scenario through the live system once
 * per analyst and reports detection, reduction, verdicts, unsafe actions, time to decision
 * and model use side by side; exit 1 when a declared threshold fails (docs/eval.md).
 */
export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description(
      'run a labelled scenario through the live system and score detection, verdicts, safety, latency and model use',
    )
    .argument('<labelled>', 'labelled scenario (NDJSON, docs/eval.md)')
    .option('--analyst <kind>', 'offline | model | offline,model (side by side)', 'offline')
    .option('--thresholds <file>', 'YAML/JSON minimums and maximums; exit 1 when one fails')
    .option('--timeout <seconds>', 'give up when a run has not settled by then', '900')
    .option('--price-in <usd>', 'model input price, USD per million tokens')
    .option('--price-out <usd>', 'model output price, USD per million tokens')
    .option('--keep-state', "keep each run's state directory and print where")
    .action(async (file: string, flags: EvalFlags, cmd: Command) => {
      const options = globalOptions(cmd);
      const analysts = analystsOf(flags.analyst);
      const timeout = Number(flags.timeout);
      if (!(timeout > 0)) throw new UsageError(`--timeout must be seconds, not "${flags.timeout}"`);
      const pricing = pricingOf(flags);
      const thresholds: Thresholds =
        flags.thresholds === undefined ? {} : await readThresholds(resolve(flags.thresholds));
      const system = await loadAgentSystem(options.config);
      const scenario = await readLabelledScenario(resolve(file));
      // Provenance for whoever reads the result later (a compliance report carries it).
      const scenarioSha256 = createHash('sha256')
        .update(await readFile(resolve(file)))
        .digest('hex');
      const evaluatedAt = new Date().toISOString();
      const eventIds = scenario.events.map((e) => {
        const r = normaliseEvent(e.event);
        return r.ok ? r.event.id : undefined;
      });
      const runs: AnalystRun[] = [];
      for (const analyst of analysts) {
        const run = await runLiveSystem({
          configPath: options.config,
          system,
          analyst,
          events: scenario.events.map((e) => e.event),
          inventory: scenario.inventory,
          timeoutMs: timeout * 1000,
          keepState: flags.keepState === true,
          log: (line) => process.stderr.write(`${line}\n`),
        });
        const score = scoreRun(scenario, eventIds, run.entries, {
          eventsIn: run.eventsIn,
          protected: system.policy.escalation.alwaysEscalate,
          pricing,
        });
        runs.push({
          analyst,
          model: analyst === 'model' ? (system.model.model ?? system.model.provider) : null,
          wallMs: run.wallMs,
          notifications: run.notifications,
          score,
          checks: checkThresholds(score, thresholds),
          stateDir: run.stateDir,
        });
      }
      const document: EvalDocument = {
        scenario: scenario.name,
        scenarioSha256,
        evaluatedAt,
        runs,
      };
      print(options, () => renderEval(scenario.name, runs), document);
      const failed = runs.flatMap((r) =>
        r.checks.filter((c) => !c.ok).map((c) => `${r.analyst}: ${c.name} ${c.limit}`),
      );
      if (failed.length > 0)
        throw new VigilError('VIGIL_EVAL_THRESHOLD', `thresholds failed: ${failed.join('; ')}`);
    });
}

/**
 * Policy decision benchmark: the in-process wasm backend against the OPA server REST
 * round trip, same policy, same data (from vigil.yaml), same realistic action mix, same
 * run. Prints decisions/s, p50/p99/max latency per backend, the ratios, and peak RSS.
 *
 *   flock /tmp/vigil-bench.lock node --import tsx bench/policy/main.ts [--decisions 20000]
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  OpaServerPolicyEngine,
  OpaWasmPolicyEngine,
  policyDataFromSystem,
  policyInputSchema,
  type PolicyEngine,
} from '@vigil/policy';
import { canonicalJson } from '@vigil/core';
import { loadAgentSystem, resolveSystemPath } from '@vigil/registry';
import { startOpaServer } from '@vigil/testkit';
import { buildMix } from './mix.js';

const ENTRYPOINT = 'vigil/soc/review/verdict';
const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const DECISIONS = flag('--decisions', 20_000);
const WARMUP = flag('--warmup', 2_000);
const CONCURRENCY = flag('--concurrency', 8);

interface Stats {
  readonly name: string;
  readonly perSecond: number;
  readonly p50us: number;
  readonly p99us: number;
  readonly maxUs: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** One decision at a time: latency per decision and sequential throughput. */
async function sequential(
  name: string,
  engine: PolicyEngine,
  inputs: readonly unknown[],
): Promise<Stats> {
  for (let i = 0; i < WARMUP; i += 1) await engine.evaluate(inputs[i % inputs.length]);
  const latencies = new Float64Array(inputs.length);
  const started = process.hrtime.bigint();
  for (let i = 0; i < inputs.length; i += 1) {
    const t0 = process.hrtime.bigint();
    await engine.evaluate(inputs[i]);
    latencies[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort();
  return {
    name,
    perSecond: inputs.length / elapsedS,
    p50us: percentile(latencies, 50),
    p99us: percentile(latencies, 99),
    maxUs: latencies[latencies.length - 1] ?? NaN,
  };
}

/** `concurrency` decisions in flight (throughput only; the REST server can overlap them). */
async function concurrent(
  engine: PolicyEngine,
  inputs: readonly unknown[],
  concurrency: number,
): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < inputs.length) {
        const i = next;
        next += 1;
        await engine.evaluate(inputs[i]);
      }
    }),
  );
  return inputs.length / (Number(process.hrtime.bigint() - started) / 1e9);
}

function opaPeakRssKb(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : NaN;
  } catch {
    return NaN;
  }
}

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const system = await loadAgentSystem(resolve('vigil.yaml'));
  const data = policyDataFromSystem(system);
  const bundleDir = resolveSystemPath(system, system.policy.bundle);
  const mix = buildMix(DECISIONS, system.trustDomain);
  const inputs = mix.map((m) => m.input);

  const wasm = await OpaWasmPolicyEngine.create({
    bundleDir,
    entrypoint: ENTRYPOINT,
    data,
    failClosed: 'deny',
    timeoutMs: 5000,
  });
  const opa = await startOpaServer();
  const server = await OpaServerPolicyEngine.create({
    url: opa.url,
    bundleDir,
    entrypoint: ENTRYPOINT,
    data,
    failClosed: 'deny',
    timeoutMs: 5000,
  });
  try {
    // Both backends must decide the mix identically before their speed means anything.
    const byKind = new Map<string, Map<string, number>>();
    let mismatches = 0;
    for (const { kind, input } of mix.slice(0, 2000)) {
      const [a, b] = [await wasm.evaluate(input), await server.evaluate(input)];
      if (canonicalJson(a) !== canonicalJson(b)) {
        mismatches += 1;
        if (mismatches === 1)
          process.stderr.write(
            `first mismatch (${kind}):\n  wasm ${canonicalJson(a)}\n  rest ${canonicalJson(b)}\n`,
          );
      }
      if (a.failClosed !== undefined)
        throw new Error(`fail-closed decision in the mix (${kind}): ${a.failClosed.message}`);
      const counts = byKind.get(kind) ?? new Map<string, number>();
      counts.set(a.decision, (counts.get(a.decision) ?? 0) + 1);
      byKind.set(kind, counts);
    }

    // Interleave: wasm, REST, wasm, REST — so drift in machine load hits both.
    const half = Math.floor(inputs.length / 2);
    const runs = [
      await sequential('wasm', wasm, inputs.slice(0, half)),
      await sequential('rest', server, inputs.slice(0, half)),
      await sequential('wasm', wasm, inputs.slice(half)),
      await sequential('rest', server, inputs.slice(half)),
    ];
    const merge = (name: string): Stats => {
      const rs = runs.filter((r) => r.name === name);
      return {
        name,
        perSecond: rs.reduce((s, r) => s + r.perSecond, 0) / rs.length,
        p50us: Math.max(...rs.map((r) => r.p50us)),
        p99us: Math.max(...rs.map((r) => r.p99us)),
        maxUs: Math.max(...rs.map((r) => r.maxUs)),
      };
    };
    const w = merge('wasm');
    const r = merge('rest');
    const restConcurrent = await concurrent(server, inputs, CONCURRENCY);

    // The share of the wasm path spent validating input with zod (fail-closed guard).
    const zodStart = process.hrtime.bigint();
    for (const input of inputs) policyInputSchema.safeParse(input);
    const zodUs = Number(process.hrtime.bigint() - zodStart) / 1000 / inputs.length;

    // Machine-load reference: a JSON round trip of each input (≈ 2–4 µs on an idle
    // modern core). On a shared machine every figure above scales with this one.
    const jsonStart = process.hrtime.bigint();
    for (const input of inputs) JSON.parse(JSON.stringify(input));
    const jsonUs = Number(process.hrtime.bigint() - jsonStart) / 1000 / inputs.length;

    const lines = [
      `policy benchmark — ${DECISIONS} decisions per backend (+${WARMUP} warm-up), ${mix.length} inputs from ${byKind.size} action kinds, vigil.yaml data, revision ${wasm.revision.slice(0, 19)}…`,
      `machine: ${process.platform} ${process.arch}, node ${process.version}, ${(await import('node:os')).cpus().length} CPUs (shared: figures are indicative)`,
      '',
      'decision mix (first 2000, both backends agree: ' +
        (mismatches === 0 ? 'yes' : `NO — ${mismatches} differ`) +
        ')',
      ...[...byKind].map(
        ([kind, counts]) =>
          `  ${kind.padEnd(56)} ${[...counts].map(([d, n]) => `${d} ${n}`).join(', ')}`,
      ),
      '',
      'backend                              decisions/s     p50 µs    p99 µs     max µs',
      `  wasm in-process (engine.evaluate)  ${fmt(w.perSecond).padStart(11)} ${fmt(w.p50us, 1).padStart(10)} ${fmt(w.p99us, 1).padStart(9)} ${fmt(w.maxUs, 0).padStart(10)}`,
      `  OPA server REST, 1 in flight       ${fmt(r.perSecond).padStart(11)} ${fmt(r.p50us, 1).padStart(10)} ${fmt(r.p99us, 1).padStart(9)} ${fmt(r.maxUs, 0).padStart(10)}`,
      `  OPA server REST, ${CONCURRENCY} in flight       ${fmt(restConcurrent).padStart(11)}`,
      '',
      `ratio wasm/REST: throughput ${fmt(w.perSecond / r.perSecond, 1)}x, p50 ${fmt(r.p50us / w.p50us, 1)}x, p99 ${fmt(r.p99us / w.p99us, 1)}x (vs ${CONCURRENCY} in flight: ${fmt(w.perSecond / restConcurrent, 1)}x)`,
      `targets: in-process p99 < 200 µs: ${w.p99us < 200 ? 'met' : 'NOT met'} (${fmt(w.p99us, 1)} µs); ≥ 10x faster than REST (p50): ${r.p50us / w.p50us >= 10 ? 'met' : 'NOT met'}`,
      `zod input validation inside the wasm path: ${fmt(zodUs, 1)} µs per decision`,
      `load reference: JSON round trip of one input ${fmt(jsonUs, 1)} µs (≈ 2–4 µs on an idle core; load average ${(
        await import('node:os')
      )
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')})`,
      `peak RSS: this process ${fmt(process.resourceUsage().maxRSS / 1024, 1)} MiB (wasm engine + REST client), opa server ${fmt(opaPeakRssKb(opa.pid) / 1024, 1)} MiB`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (mismatches > 0) process.exitCode = 1;
  } finally {
    await wasm.close();
    await server.close();
    await opa.close();
  }
}

await main();

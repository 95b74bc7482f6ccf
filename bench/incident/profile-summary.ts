/**
 * Summarises the agents' V8 CPU profiles of a `bench/incident/main.ts --profile` run:
 * per agent, busy time (samples not idle) and where it went — by package (inclusive of
 * what the package calls), and the functions with the most self time. V8 samples the JS thread on wall time, so a
 * synchronous call that blocks (a SQLite commit waiting on fsync) counts as busy.
 *
 *   node --import tsx bench/incident/profile-summary.ts <state-dir>/profiles [--top 12]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '12' } },
});
const dir = positionals[0];
if (dir === undefined) throw new Error('usage: profile-summary.ts <profiles-dir> [--top N]');
const TOP = Number(values.top);

/** `agents.json` written by the bench: pid → agent name. */
const agents = JSON.parse(readFileSync(join(dir, 'agents.json'), 'utf8')) as Record<string, string>;
const IDLE = new Set(['(idle)', '(program)']);

/** Where a frame's code lives: a workspace, a dependency, or the runtime. */
function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1]!;
  const workspace = /\/(packages|agents|apps)\/([^/]+)\//.exec(url);
  if (workspace) return `${workspace[1]}/${workspace[2]}`;
  return url.startsWith('node:') ? 'node:*' : url;
}

const top = <K>(m: Map<K, number>, n: number): [K, number][] =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, n);

for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const pid = /\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(file)?.[1] ?? '?';
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parentOf.set(child, n.id);
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!frame || IDLE.has(frame.functionName)) return;
    busy += ms;
    const pkg = packageOf(frame.url, frame.functionName);
    // Inclusive: a package counts a sample once if any frame of the stack is its code.
    const onStack = new Set<string>();
    for (let node: number | undefined = id; node !== undefined; node = parentOf.get(node)) {
      const f = byId.get(node)?.callFrame;
      if (f && f.url !== '') onStack.add(packageOf(f.url, f.functionName));
    }
    for (const p of onStack) byPackage.set(p, (byPackage.get(p) ?? 0) + ms);
    const name = `${frame.functionName || '(anonymous)'} ${pkg}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
  });
  const share = (ms: number): string => `${((ms / busy) * 100).toFixed(1).padStart(5)} %`;
  console.log(`\n${agents[pid] ?? `pid ${pid}`}: busy ${busy.toFixed(0)} ms`);
  console.log('  by package (inclusive: the package or code it calls is on the stack):');
  for (const [pkg, ms] of top(byPackage, 10))
    console.log(`    ${share(ms)}  ${ms.toFixed(0).padStart(6)} ms  ${pkg}`);
  console.log('  by function (self time):');
  for (const [fn, ms] of top(byFunction, TOP))
    console.log(`    ${share(ms)}  ${ms.toFixed(0).padStart(6)} ms  ${fn}`);
}

/**
 * bench/agent-telemetry/soc-traces: the SOC demo with OTLP export. Runs `vigil up --demo`
 * (six agent processes, the demo scenario) with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at a
 * loopback receiver, stops it with SIGINT once the demo printed its summary (agents flush
 * on drain), then reports the spans per agent and name, how many traces cross how many
 * agents, whether every `policy.decision` span nests under the reviewer's `a2a.serve` of a
 * coordinator `a2a.call` in the same trace with its audit entry id, and spans whose parent
 * was never exported.
 *
 *   flock /tmp/vigil-bench.lock node --import tsx bench/agent-telemetry/soc-traces.ts [--state-dir DIR]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startOtlpReceiver, type ReceivedSpan } from '@vigil/telemetry';

const VIGIL = fileURLToPath(new URL('../../apps/cli/bin/vigil.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The demo's last hint line; the incidents have settled when it is printed. */
const DEMO_DONE = 'npx vigil audit verify';
/** Time for the last notifications after the summary, before SIGINT. */
const SETTLE_MS = 7_000;

const { values } = parseArgs({ options: { 'state-dir': { type: 'string' } } });
const stateDir = values['state-dir'] ?? mkdtempSync(join(tmpdir(), 'vigil-soc-traces-'));
const receiver = await startOtlpReceiver();
const child = spawn(process.execPath, [VIGIL, '--state-dir', stateDir, 'up', '--demo'], {
  cwd: ROOT,
  env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let output = '';
let stopScheduled = false;
child.stdout.on('data', (chunk: Buffer) => {
  output += chunk.toString('utf8');
  if (!stopScheduled && output.includes(DEMO_DONE)) {
    stopScheduled = true;
    setTimeout(() => child.kill('SIGINT'), SETTLE_MS);
  }
});
const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
await receiver.close();

const spans = receiver.spans;
const byId = new Map(spans.map((s) => [s.spanId, s]));
const service = (s: ReceivedSpan) => String(s.resource['service.name']);
const perName = new Map<string, number>();
for (const s of spans) {
  const key = `${service(s)} ${s.name}`;
  perName.set(key, (perName.get(key) ?? 0) + 1);
}
const decisions = spans.filter((s) => s.name === 'policy.decision');
const nested = decisions.filter((d) => {
  const serve = byId.get(d.parentSpanId);
  const call = serve === undefined ? undefined : byId.get(serve.parentSpanId);
  return (
    serve?.name === 'a2a.serve review-action' &&
    call !== undefined &&
    service(call) === 'coordinator' &&
    call.traceId === d.traceId &&
    String(d.attributes['vigil.audit.entry_id'] ?? '').length === 64
  );
});
const agentsPerTrace = new Map<string, Set<string>>();
for (const s of spans) {
  const set = agentsPerTrace.get(s.traceId) ?? new Set<string>();
  set.add(service(s));
  agentsPerTrace.set(s.traceId, set);
}
const traceWidths = new Map<number, number>();
for (const set of agentsPerTrace.values())
  traceWidths.set(set.size, (traceWidths.get(set.size) ?? 0) + 1);
const orphans = spans.filter((s) => s.parentSpanId !== '' && !byId.has(s.parentSpanId));

console.log(`vigil up --demo exited ${String(code)}; state ${stateDir}`);
console.log(`spans received: ${spans.length}`);
for (const [key, n] of [...perName].sort()) console.log(`  ${String(n).padStart(5)}  ${key}`);
console.log(
  `policy.decision spans nested reviewer a2a.serve <- coordinator a2a.call, with entry id: ${nested.length}/${decisions.length}`,
);
console.log(
  `traces by number of agent processes in them: ${[...traceWidths]
    .sort(([a], [b]) => a - b)
    .map(([width, n]) => `${width}: ${n}`)
    .join(', ')}`,
);
console.log(`spans whose parent was not exported: ${orphans.length}`);
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

/**
 * bench/agent-telemetry: what exporting spans costs an agent process. Runs the two-agent
 * example (`examples/two-agent/vigil.yaml`, compiled agents) under the supervisor twice
 * per round — without an OTLP endpoint, and with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at
 * a loopback receiver — relays `--relays` times, waits one batch-processor period, and
 * prints each agent's resident memory (VmRSS) and the spans received.
 *
 *   node scripts/build-dist.mjs && flock /tmp/vigil-bench.lock \
 *     node --import tsx bench/agent-telemetry/main.ts [--relays 200] [--rounds 2]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '@vigil/core';
import { loadAgentSystem } from '@vigil/registry';
import { COMPILED_AGENT_ENTRY_SCRIPT } from '@vigil/runtime';
import { createSupervisor, residentBytes } from '@vigil/supervisor';
import { startOtlpReceiver } from '@vigil/telemetry';

const { values } = parseArgs({
  options: { relays: { type: 'string', default: '200' }, rounds: { type: 'string', default: '2' } },
});
const relays = Number(values.relays);
const EXAMPLE = new URL('../../examples/two-agent/vigil.yaml', import.meta.url);
/** The BatchSpanProcessor exports every 5 s: wait one period so idle memory includes it. */
const BATCH_PERIOD_MS = 5_500;

async function run(exportSpans: boolean): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-telemetry-'));
  const configPath = join(dir, 'vigil.yaml');
  writeFileSync(configPath, readFileSync(EXAMPLE));
  const receiver = await startOtlpReceiver();
  const supervisor = createSupervisor({
    system: await loadAgentSystem(configPath),
    configPath,
    stateDir: join(dir, 'state'),
    logger: createLogger('bench', { level: 'silent' }),
    compiled: true,
    entryScript: COMPILED_AGENT_ENTRY_SCRIPT,
    env: exportSpans ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint } : {},
  });
  try {
    await supervisor.start();
    for (let i = 0; i < relays; i++) await supervisor.invoke('greeter', 'relay', { message: i });
    await new Promise((resolve) => setTimeout(resolve, BATCH_PERIOD_MS));
    const rss = supervisor
      .status()
      .agents.map((a) => {
        const pid = a.replicas[0]?.pid;
        const bytes = pid == null ? undefined : residentBytes(pid);
        return `${a.name} ${bytes === undefined ? '?' : (bytes / 1048576).toFixed(1)} MiB`;
      })
      .join(', ');
    await supervisor.stop();
    return `${exportSpans ? 'export   ' : 'no export'}  ${rss}  spans received ${receiver.spans.length}`;
  } finally {
    await supervisor.stop();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  `agent-telemetry: ${relays} relays per run; ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}`,
);
for (let round = 1; round <= Number(values.rounds); round++) {
  for (const exportSpans of [false, true]) {
    const line = await run(exportSpans);
    console.log(
      `round ${round}  ${line}  (load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')})`,
    );
  }
}

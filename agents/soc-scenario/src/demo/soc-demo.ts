import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveSystemPath } from '@vigil/registry';
import { readServiceAddress, type DemoContext, type DemoDriver } from '@vigil/runtime';

/** Events per `ingest-events` call and the pause between calls (a steady, watchable replay). */
const BATCH = 250;
const PAUSE_MS = 100;
/** How long the demo follows incidents after the replay before it summarises. */
const SETTLE_MS = 20_000;

interface IncidentView {
  readonly id: string;
  readonly status: string;
  readonly title: string;
  readonly severity: string;
  readonly findings: number;
}

interface IncidentDetail {
  readonly summary: {
    items: {
      proposal: { action: { type: string } };
      review?: { decision: string; action: { type: string } };
      outcome: string;
    }[];
    /** Absent in summaries checkpointed before skipped responses were recorded. */
    skipped?: { type: string; reason: string }[];
  } | null;
  readonly approvals: { id: string; status: string }[];
}

/**
 * The SOC demo (`vigil up --demo`): replays the labelled demo scenario into the detector
 * over its `ingest-events` skill, then follows the incidents through the coordinator's
 * API — analysed, reviewed, executed, denied, mutated or escalated — printing each as it
 * settles, with the notifications the local channels receive, and ends with what to try
 * next (approve an escalation, rebuild a trace, verify the audit trail).
 */
export const demo: DemoDriver = async (ctx) => {
  // Loaded here, not with the module: every detector process imports this package (its
  // index re-exports the driver), and only the CLI running the demo needs the SMTP server.
  const { startNotificationSinks } = await import('./notification-sinks.js');
  const stopSinks = await startNotificationSinks(ctx.system, (line) => ctx.print(line));
  try {
    const scenarioPath = resolveSystemPath(ctx.system, 'examples/soc-demo/scenario.ndjson');
    const lines = (await readFile(scenarioPath, 'utf8')).split('\n').filter((l) => l.trim() !== '');
    ctx.print(`demo: replaying ${lines.length} events from ${scenarioPath} into the detector`);
    const api = await coordinatorApi(ctx);
    const seen = new Map<string, string>();
    let accepted = 0;
    let findings = 0;
    for (let i = 0; i < lines.length && !ctx.signal.aborted; i += BATCH) {
      const events = lines.slice(i, i + BATCH).map((l) => JSON.parse(l) as unknown);
      const r = await ctx.invoke('detector', 'ingest-events', { events }, { deadlineMs: 60_000 });
      const out = r.output as { accepted: number; findings: number };
      accepted += out.accepted;
      findings += out.findings;
      await follow(ctx, api, seen);
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    }
    ctx.print(
      `demo: detector scored ${accepted} events and forwarded ${findings} findings (${findings ? (accepted / findings).toFixed(0) : '∞'} events per finding)`,
    );
    const until = Date.now() + SETTLE_MS;
    while (Date.now() < until && !ctx.signal.aborted) {
      await follow(ctx, api, seen);
      const incidents = await api.get<{ incidents: IncidentView[] }>('/v1/incidents');
      if (incidents.incidents.every((i) => i.status !== 'open')) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    await follow(ctx, api, seen);
    const pending = await api.get<{ approvals: { id: string }[] }>('/v1/approvals?status=pending');
    ctx.print('');
    ctx.print(
      `demo: ${seen.size} incidents; ${pending.approvals.length} escalation(s) await a human. Try:`,
    );
    for (const a of pending.approvals.slice(0, 3)) {
      ctx.print(`  npx vigil approvals show ${a.id}`);
      ctx.print(
        `  npx vigil approvals approve ${a.id} --reason "confirmed by the on-call analyst"`,
      );
    }
    const first = [...seen.keys()][0];
    if (first)
      ctx.print(
        `  npx vigil trace ${first}        # the whole decision chain from the audit trail`,
      );
    ctx.print('  npx vigil audit verify         # every chain and signature');
    ctx.print(
      '  npx vigil metrics              # least agency, five-signal coverage, mutation rate',
    );
  } finally {
    // The sinks stay up while `vigil up` runs, so later notifications (after an approval) show too.
    ctx.signal.addEventListener('abort', () => void stopSinks(), { once: true });
  }
};

/** Prints incidents whose status changed since the last look. */
async function follow(ctx: DemoContext, api: Api, seen: Map<string, string>): Promise<void> {
  const { incidents } = await api.get<{ incidents: IncidentView[] }>('/v1/incidents');
  for (const incident of [...incidents].reverse()) {
    if (seen.get(incident.id) === incident.status || incident.status === 'open') continue;
    seen.set(incident.id, incident.status);
    const detail = await api.get<IncidentDetail>(
      `/v1/incidents/${encodeURIComponent(incident.id)}`,
    );
    const outcomes = (detail.summary?.items ?? []).map((item) => {
      const mutated = item.review?.decision === 'mutate' ? ` → ${item.review.action.type}` : '';
      return `${item.proposal.action.type}${mutated}: ${item.review?.decision ?? '-'} / ${item.outcome}`;
    });
    ctx.print(
      `incident ${incident.id} [${incident.severity}] ${incident.status}: ${incident.title}`,
    );
    for (const o of outcomes) ctx.print(`    ${o}`);
    for (const s of detail.summary?.skipped ?? [])
      ctx.print(`    ${s.type}: not proposed — ${s.reason}`);
    if (outcomes.length === 0 && !detail.summary?.skipped?.length)
      ctx.print('    no response recommended (notified only)');
  }
}

interface Api {
  get<T>(path: string): Promise<T>;
}

async function coordinatorApi(ctx: DemoContext): Promise<Api> {
  // The coordinator publishes its API's address in the state directory (coordinator
  // OPS_API_SERVICE): this system's own, whatever port it took.
  const address = readServiceAddress(ctx.stateDir, 'ops-api');
  if (!address) throw new Error('the coordinator has published no API address (is it running?)');
  const base = address.url;
  const token = (await readFile(join(ctx.stateDir, 'users', 'admin.token'), 'utf8')).trim();
  return {
    async get<T>(path: string): Promise<T> {
      const response = await fetch(`${base}${path}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new Error(`coordinator API ${path}: HTTP ${response.status}`);
      return (await response.json()) as T;
    },
  };
}

/**
 * The detector agent: event sources (HTTP `POST /v1/events`, optionally a NATS JetStream
 * consumer) → normalisation → features → Isolation Forest → `Finding`s forwarded to the
 * coordinator's `handle-finding` skill over mTLS A2A. A skill, `ingest-events`, takes
 * events from other agents. The model file is loaded at start-up and hot-swapped when it
 * changes on disk (a bad file leaves the live model in place).
 */
import { unwatchFile, watchFile } from 'node:fs';
import {
  callPeer,
  implementSkill,
  type AgentContext,
  type AgentDefinition,
  type AgentSkillHandler,
} from '@vigil/runtime';
import { SOC_SKILLS, type Finding } from '@vigil/soc';
import { expandRecords, normaliseEvent } from '../events/normalise.js';
import { loadModel, ModelHolder } from '../model/model.js';
import type { FindingHandoff } from '../pipeline/finding-handoff.js';
import { FindingOutbox } from '../pipeline/finding-outbox.js';
import { JetStreamFindingOutbox } from '../pipeline/jetstream-finding-outbox.js';
import { DetectorPipeline } from '../pipeline/pipeline.js';
import { createDeadLetterFile, type DeadLetterWriter } from '../sources/dead-letter.js';
import type { EventSource, IngestStats } from '../sources/event-source.js';
import { IngestError } from '../sources/errors.js';
import { DEFAULT_REPORTED_REJECTIONS, IntakeTally } from '../sources/intake-report.js';
import {
  bearerTokenFromEnv,
  createHttpEventSource,
  type HttpEventSource,
} from '../sources/http-source.js';
import { createJetStreamSource } from '../sources/nats-source.js';
import { ensureBootstrapModel } from './bootstrap-model.js';
import { loadRuleSet } from '../rules/load.js';
import { AssetCriticalityMap } from '../pipeline/asset-criticality.js';
import {
  checkReplicaSettings,
  parseDetectorSettings,
  replicaPath,
  resolveInState,
  type DetectorSettings,
} from './settings.js';

interface Running {
  readonly pipeline: DetectorPipeline;
  readonly sources: EventSource[];
  readonly deadLetter: DeadLetterWriter;
  readonly modelPath: string;
  readonly holder: ModelHolder;
  readonly outbox: FindingHandoff;
}

let running: Running | undefined;

async function start(ctx: AgentContext): Promise<void> {
  const settings = parseDetectorSettings(ctx.spec.name, ctx.spec.settings);
  if (!ctx.spec.calls.includes(settings.coordinator))
    throw new IngestError(
      'VIGIL_CONFIG_DETECTOR_INGEST',
      `agents.${ctx.spec.name}.settings.coordinator: "${settings.coordinator}" is not in calls`,
    );
  checkReplicaSettings(ctx.spec.name, ctx.spec.replicas, settings);
  // Files one process writes get the replica's index when there are several.
  const own = (path: string): string =>
    replicaPath(resolveInState(ctx.stateDir, path), ctx.replica, ctx.spec.replicas);
  // Loaded before anything starts: a rule that does not validate refuses the start.
  const rules = loadRuleSet(
    settings.rules === undefined ? undefined : resolveInState(ctx.stateDir, settings.rules),
  );
  const modelPath = resolveInState(ctx.stateDir, settings.model);
  if (settings.bootstrap !== undefined)
    await ensureBootstrapModel(modelPath, settings.bootstrap, ctx.logger);
  const model = await loadModel(modelPath).catch((error: unknown) => {
    throw new IngestError(
      'VIGIL_DETECTOR_INGEST_UNAVAILABLE',
      `cannot load the detector model ${modelPath} (train one: vigil detector train <baseline.ndjson> -o ${modelPath}): ${(error as Error).message}`,
      { cause: error },
    );
  });
  const holder = new ModelHolder(model);
  const deliver = async (finding: Finding): Promise<void> => {
    // The coordinator's name is a setting: the call is typed by the skill's contract.
    await callPeer(ctx.client, settings.coordinator, SOC_SKILLS.handleFinding, finding, {
      deadlineMs: settings.forwardDeadlineMs,
      idempotent: true,
    });
  };
  // Findings go through a durable outbox, so a coordinator restart delays them but never
  // loses one that a source has already acknowledged upstream.
  const outbox = findingHandoff(settings, deliver, own('data/findings-outbox.sqlite'), ctx);
  await outbox.start();
  const pipeline = new DetectorPipeline({
    holder,
    rules,
    topFeatures: settings.topFeatures,
    scorer: { novelty: settings.novelty },
    assets: new AssetCriticalityMap(settings.assets),
    forward: async (finding: Finding) => outbox.enqueue(finding),
    // A sensor's operational message (Falco dropping events) means blind spots: say so
    // once per rule in the log; the counts stay in the status.
    onHealthSignal: (event, n) => {
      if (n === 1)
        ctx.logger.warn(
          { rule: event.rule ?? event.activity, format: event.format },
          'sensor health signal (counted, not scored); further ones of this rule are counted in status',
        );
    },
  });
  const deadLetter = createDeadLetterFile(own(settings.deadLetter), {
    maxFileBytes: settings.deadLetterMaxBytes,
    maxFiles: settings.deadLetterFiles,
  });
  const sources: EventSource[] = [];
  if (settings.http !== undefined) {
    const h = settings.http;
    const creds = h.mtls ? ctx.credentials() : undefined;
    sources.push(
      createHttpEventSource({
        host: h.host,
        port: h.port,
        ...(creds !== undefined
          ? {
              tls: {
                cert: creds.cert,
                key: creds.key,
                ca: creds.ca,
                requestCert: true,
                rejectUnauthorized: false,
              },
            }
          : {}),
        auth: {
          ...(h.tokenEnv === undefined ? {} : { bearerTokens: [bearerTokenFromEnv(h.tokenEnv)] }),
          ...(h.mtls ? { mtls: {} } : {}),
        },
        ...(h.maxBodyBytes === undefined ? {} : { maxBodyBytes: h.maxBodyBytes }),
        ...(h.maxLineBytes === undefined ? {} : { maxLineBytes: h.maxLineBytes }),
        maxDocumentBytes: h.maxDocumentBytes,
        maxDepth: h.maxDepth,
        maxQueuedRequests: h.maxQueuedRequests,
        retryAfterSeconds: h.retryAfter.busySeconds,
        maxReportedRejections: h.maxReportedRejections,
        duplicateWindow: h.duplicateWindow,
        // Asked before anything of a request is acknowledged (503 + Retry-After).
        admit: () => outbox.refusal(),
        deadLetter,
        logger: ctx.logger,
      }),
    );
  }
  if (settings.nats !== undefined) {
    const n = settings.nats;
    sources.push(
      createJetStreamSource({
        connection: { servers: n.servers },
        stream: n.stream,
        durable: n.durable,
        ...(n.subject === undefined ? {} : { subject: n.subject }),
        ...(n.ackWaitMs === undefined ? {} : { ackWaitMs: n.ackWaitMs }),
        ...(n.maxDeliver === undefined ? {} : { maxDeliver: n.maxDeliver }),
        ...(n.batch === undefined ? {} : { batch: n.batch }),
        deadLetter,
        logger: ctx.logger,
      }),
    );
  }
  for (const s of sources) await s.start(pipeline.sink);
  watchFile(modelPath, { interval: 2000 }, () => {
    holder.reload(modelPath).then(
      (m) => ctx.logger.info({ model: m.id }, 'detector model reloaded'),
      (err: unknown) =>
        ctx.logger.error({ err }, 'detector model reload failed; the live model stays'),
    );
  });
  running = { pipeline, sources, deadLetter, modelPath, holder, outbox };
  ctx.logger.info({ model: model.id, sources: sources.map((s) => s.name) }, 'detector started');
}

/** The replica's own SQLite outbox, or the JetStream stream every replica shares. */
function findingHandoff(
  settings: DetectorSettings,
  deliver: (finding: Finding) => Promise<void>,
  sqlitePath: string,
  ctx: AgentContext,
): FindingHandoff {
  // The outbox's refusals become the HTTP intake's 503s; their hint is the declaration's.
  const hint =
    settings.http === undefined
      ? {}
      : { retryAfterSeconds: settings.http.retryAfter.backlogSeconds };
  const f = settings.nats?.findings;
  if (settings.nats === undefined || f === undefined)
    return new FindingOutbox({ path: sqlitePath, deliver, ...hint, logger: ctx.logger });
  return new JetStreamFindingOutbox({
    connection: { servers: settings.nats.servers },
    stream: f.stream,
    subject: f.subject,
    durable: f.durable ?? `${settings.nats.durable}-findings`,
    duplicateWindowMs: f.duplicateWindowMs,
    ...(f.ackWaitMs === undefined ? {} : { ackWaitMs: f.ackWaitMs }),
    ...(f.maxPending === undefined ? {} : { maxPending: f.maxPending }),
    ...hint,
    deliver,
    logger: ctx.logger,
  });
}

async function stop(): Promise<void> {
  const r = running;
  running = undefined;
  if (r === undefined) return;
  unwatchFile(r.modelPath);
  await Promise.all(r.sources.map((s) => s.stop()));
  await r.outbox.stop();
  await r.deadLetter.close();
}

/**
 * `ingest-events`: `{ events: [raw records] }` → the HTTP source's {@link IntakeReport}
 * (counts that add up, the first {@link DEFAULT_REPORTED_REJECTIONS} rejections named by
 * item number, the rest counted) plus `findings`. Rejections are answered, not
 * dead-lettered: the caller still holds what it sent.
 */
const ingestEvents: AgentSkillHandler<typeof SOC_SKILLS.ingestEvents> = async ({ events }) => {
  const r = running;
  if (r === undefined)
    throw new IngestError('VIGIL_DETECTOR_INGEST_STATE', 'the detector is not started');
  const before = r.pipeline.stats().findings;
  const tally = new IntakeTally(DEFAULT_REPORTED_REJECTIONS);
  for (let i = 0; i < events.length; i++) {
    for (const record of expandRecords(events[i])) {
      const n = normaliseEvent(record);
      if (!n.ok) {
        tally.reject({
          source: 'a2a',
          ref: `ingest-events item ${i + 1}`,
          line: i + 1,
          code: n.code,
          reason: n.reason,
          ...(n.field === undefined ? {} : { field: n.field }),
        });
        continue;
      }
      await r.pipeline.sink(n.event, {
        source: 'a2a',
        ref: `ingest-events item ${i + 1}`,
        line: i + 1,
        attempt: 1,
      });
      tally.accepted += 1;
    }
  }
  return { ...tally.report(events.length), findings: r.pipeline.stats().findings - before };
};

/** The detector's `AgentDefinition` (`implementation: '@vigil/detector'`). */
export const agent: AgentDefinition = {
  skills: [implementSkill(SOC_SKILLS.ingestEvents, ingestEvents)],
  start,
  stop,
  status: () => {
    const r = running;
    const stats = r?.pipeline.stats();
    return r === undefined || stats === undefined
      ? undefined
      : {
          model: r.holder.current.id,
          intake: detectorIntakeStats(),
          ...(r.outbox instanceof JetStreamFindingOutbox
            ? { findingsStream: r.outbox.stats() }
            : {}),
          scored: stats.scored,
          findings: stats.findings,
          forwardFailures: stats.forwardFailures,
          healthSignals: stats.health,
          novelty: stats.novelty,
        };
  },
};

/** Counters of the running detector (for health and metrics endpoints). */
export function detectorStats(): ReturnType<DetectorPipeline['stats']> | undefined {
  return running?.pipeline.stats();
}

/** The URL of the running detector's own HTTP intake (undefined when mounted or not started). */
export function detectorIntakeUrl(): string | undefined {
  for (const s of running?.sources ?? []) if ('url' in s) return (s as HttpEventSource).url;
  return undefined;
}

/** Counters of the running detector's sources, by source name. */
export function detectorIntakeStats(): Record<string, IngestStats> {
  return Object.fromEntries((running?.sources ?? []).map((s) => [s.name, s.counters.snapshot()]));
}

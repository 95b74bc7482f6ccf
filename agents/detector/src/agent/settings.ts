import { extname, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { IngestError } from '../sources/errors.js';
import { assetsSettingsSchema } from '../pipeline/asset-criticality.js';

/**
 * `settings` of the detector agent in `vigil.yaml`. Relative paths are resolved against
 * the state directory.
 *
 * ```yaml
 * settings:
 *   model: detector/model.json          # vigil detector train … -o <stateDir>/detector/model.json
 *   coordinator: coordinator            # where findings go (must be in `calls`)
 *   http: { host: 127.0.0.1, port: 7400, tokenEnv: VIGIL_INGEST_TOKEN,
 *           retryAfter: { busySeconds: 1, backlogSeconds: 5 } }
 *   nats: { servers: [nats://127.0.0.1:4222], stream: VIGIL_EVENTS, durable: detector }
 *   # replicas > 1: findings go through a JetStream stream all replicas share (docs/scale-out.md)
 *   #   nats: { …, findings: { stream: VIGIL_FINDINGS, subject: vigil.findings } }
 *   deadLetter: detector/dead-letter.ndjson
 *   rules: /etc/vigil/rules            # optional: a rule directory instead of the shipped one
 *   novelty: { warmupSeconds: 86400, warmupMinEvents: 1000, budgetPerHour: 10 }
 *   assets: { default: medium, entries: [{ namespaces: [payments], criticality: critical }] }
 * ```
 */
export const DetectorSettingsSchema = z
  .object({
    model: z.string().min(1).default('detector/model.json'),
    coordinator: z.string().min(1).default('coordinator'),
    topFeatures: z.number().int().min(1).max(20).default(5),
    /** Rule directory (`vigil/*.yaml`, `sigma/overlay.yaml`); default the rules shipped with the detector. */
    rules: z.string().min(1).optional(),
    forwardDeadlineMs: z.number().int().min(100).default(5000),
    http: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(7400),
        /** Environment variable with the bearer token for external shippers (never the token itself). */
        tokenEnv: z
          .string()
          .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name')
          .optional(),
        /** Accept agents' client certificates (the agent's own CA) on an HTTPS listener. */
        mtls: z.boolean().default(false),
        maxBodyBytes: z.number().int().min(1024).optional(),
        maxLineBytes: z.number().int().min(256).optional(),
        maxDocumentBytes: z.number().int().min(1024).optional(),
        maxDepth: z.number().int().min(8).max(10_000).optional(),
        maxQueuedRequests: z.number().int().min(0).optional(),
        maxReportedRejections: z.number().int().min(0).optional(),
        duplicateWindow: z.number().int().min(0).optional(),
        /**
         * The back-off hint (`Retry-After`, whole seconds) intake answers with: `busySeconds`
         * on 429 (too many requests waiting) and on 503 while stopping, `backlogSeconds` on
         * 503 when the findings outbox is at its high-water mark (it drains only as fast as
         * the coordinator acknowledges). At most an hour: a shipper told to wait longer
         * would rather be told the endpoint is down.
         */
        retryAfter: z
          .object({
            busySeconds: z.number().int().min(1).max(3600).default(1),
            backlogSeconds: z.number().int().min(1).max(3600).default(5),
          })
          .strict()
          .default({ busySeconds: 1, backlogSeconds: 5 }),
      })
      .strict()
      .optional(),
    nats: z
      .object({
        servers: z.array(z.string().min(1)).min(1),
        stream: z.string().min(1),
        durable: z.string().min(1),
        subject: z.string().optional(),
        ackWaitMs: z.number().int().min(1000).optional(),
        maxDeliver: z.number().int().min(1).optional(),
        /**
         * Messages pulled ahead of processing (default 256). Their ack wait runs while they
         * wait in the replica's buffer: batch × time per message must stay well under ackWaitMs.
         */
        batch: z.number().int().min(1).max(10_000).optional(),
        /**
         * Findings handed to a JetStream stream instead of the replica's own SQLite outbox,
         * deduplicated by finding id on the server and relayed to the coordinator by
         * every replica (required for `replicas` > 1).
         */
        findings: z
          .object({
            stream: z.string().min(1).default('VIGIL_FINDINGS'),
            subject: z.string().min(1).default('vigil.findings'),
            /** The relay's durable consumer; default `<durable>-findings`. */
            durable: z.string().min(1).optional(),
            /** Must cover every redelivery of an event: at least ackWaitMs × maxDeliver. */
            duplicateWindowMs: z.number().int().min(1000).default(600_000),
            /** The relay's ack wait (a killed relay's finding is redelivered after it). */
            ackWaitMs: z.number().int().min(1000).optional(),
            maxPending: z.number().int().min(1).optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    deadLetter: z.string().min(1).default('detector/dead-letter.ndjson'),
    /** Rotation of the dead-letter file: its size cap and how many files are kept in all. */
    deadLetterMaxBytes: z.number().int().min(4096).optional(),
    deadLetterFiles: z.number().int().min(1).max(100).optional(),
    /** When no model file exists, train one on generated demo-estate traffic (demo and first runs). */
    bootstrap: z
      .object({
        seed: z.number().int().default(101),
        days: z.number().int().min(1).max(30).default(2),
        eventsPerDay: z.number().int().min(200).default(3000),
        alertRate: z.number().gt(0).lt(1).default(0.003),
        /**
         * Whether the generated baseline stands for the estate's own history: true only
         * where the live events come from the same generated estate (the demo). On a real
         * cluster leave it false, so the novelty gate warms up on the cluster's traffic.
         */
        estateHistory: z.boolean().default(false),
      })
      .strict()
      .optional(),
    /** The online novelty gate (docs/detector.md): warm-up on the estate's history, alert budget. */
    novelty: z
      .object({
        warmupSeconds: z.number().int().min(0).default(86_400),
        warmupMinEvents: z.number().int().min(0).default(1_000),
        budgetPerHour: z.number().min(0).default(10),
      })
      .strict()
      .default({ warmupSeconds: 86_400, warmupMinEvents: 1_000, budgetPerHour: 10 }),
    /** Asset criticality for the findings' risk score (pipeline/asset-criticality.ts). */
    assets: assetsSettingsSchema,
  })
  .strict();

export type DetectorSettings = z.infer<typeof DetectorSettingsSchema>;

/** Validates the settings of agent `agentName`, naming every problem with its path. */
export function parseDetectorSettings(agentName: string, settings: unknown): DetectorSettings {
  const parsed = DetectorSettingsSchema.safeParse(settings ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) =>
        `agents.${agentName}.settings${i.path.map((p) => `.${String(p)}`).join('')}: ${i.message}`,
    );
    throw new IngestError('VIGIL_CONFIG_DETECTOR_INGEST', problems.join('; '), {
      details: { problems },
    });
  }
  if (
    parsed.data.http?.tokenEnv === undefined &&
    parsed.data.http?.mtls !== true &&
    parsed.data.http !== undefined
  )
    throw new IngestError(
      'VIGIL_CONFIG_DETECTOR_INGEST',
      `agents.${agentName}.settings.http: set tokenEnv and/or mtls: true (the events endpoint is never open)`,
    );
  const nats = parsed.data.nats;
  if (nats?.findings !== undefined) {
    // A redelivery after the window would publish the finding again: the server would no
    // longer know its id (the coordinator still would, but the stream would hold it twice).
    const redeliveryMs = (nats.ackWaitMs ?? 30_000) * (nats.maxDeliver ?? 5);
    if (nats.findings.duplicateWindowMs < redeliveryMs)
      throw new IngestError(
        'VIGIL_CONFIG_DETECTOR_INGEST',
        `agents.${agentName}.settings.nats.findings.duplicateWindowMs: ${nats.findings.duplicateWindowMs} ms is shorter than the redeliveries of an event (ackWaitMs × maxDeliver = ${redeliveryMs} ms)`,
      );
  }
  return parsed.data;
}

/**
 * Replicas of the detector share their work through one durable JetStream consumer and
 * must hand findings to a place that outlives any of them.
 * @throws IngestError `VIGIL_CONFIG_DETECTOR_INGEST` naming the setting when they cannot.
 */
export function checkReplicaSettings(
  agentName: string,
  replicas: number,
  settings: DetectorSettings,
): void {
  if (replicas <= 1 || settings.nats?.findings !== undefined) return;
  throw new IngestError(
    'VIGIL_CONFIG_DETECTOR_INGEST',
    `agents.${agentName}.settings.nats${settings.nats === undefined ? '' : '.findings'}: ${replicas} replicas share events through one durable JetStream consumer and findings through a JetStream stream: set ${settings.nats === undefined ? 'nats: { servers, stream, durable, findings: {} }' : 'nats.findings: {}'} (a replica's own outbox would be lost with it), or replicas: 1`,
  );
}

/**
 * The path of a file one process writes (dead letters, the SQLite outbox): with several
 * replicas each gets its own, `dead-letter.ndjson` → `dead-letter.1.ndjson`.
 */
export function replicaPath(path: string, replica: number, replicas: number): string {
  if (replicas <= 1) return path;
  const ext = extname(path);
  return `${path.slice(0, path.length - ext.length)}.${replica}${ext}`;
}

export function resolveInState(stateDir: string, path: string): string {
  return isAbsolute(path) ? path : join(stateDir, path);
}

import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { RUNTIME_ERROR_CODES, RuntimeError } from './errors.js';

const port = z.coerce.number().int().min(0).max(65535);

const EnvSchema = z.object({
  VIGIL_AGENT: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/, 'must be an agent name (lower-case, digits, -)'),
  VIGIL_CONFIG: z.string().refine(isAbsolute, 'must be an absolute path'),
  VIGIL_STATE_DIR: z.string().refine(isAbsolute, 'must be an absolute path'),
  VIGIL_PORT: port,
  VIGIL_HEALTH_PORT: port,
  VIGIL_REPLICA: z.coerce.number().int().min(0).default(0),
  VIGIL_DRAIN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  VIGIL_HOST: z.union([z.ipv4(), z.ipv6()]).default('127.0.0.1'),
  VIGIL_TLS_DIR: z.string().refine(isAbsolute, 'must be an absolute path').optional(),
  VIGIL_PEER_DOMAIN: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a DNS domain, e.g. vigil.svc')
    .optional(),
});

/** The environment contract between the supervisor and an agent process. */
export interface AgentProcessEnv {
  /** Agent name (`VIGIL_AGENT`). */
  readonly agent: string;
  /** Absolute path of the declaration (`VIGIL_CONFIG`). */
  readonly configPath: string;
  /** Absolute state directory (`VIGIL_STATE_DIR`). */
  readonly stateDir: string;
  /** A2A (mTLS) port on 127.0.0.1, 0 for any (`VIGIL_PORT`). */
  readonly port: number;
  /** Plain-HTTP health port on 127.0.0.1, 0 for any (`VIGIL_HEALTH_PORT`). */
  readonly healthPort: number;
  /** Replica index (`VIGIL_REPLICA`, default 0). */
  readonly replica: number;
  /** How long in-flight calls may take to finish after SIGTERM (`VIGIL_DRAIN_TIMEOUT_MS`, default 10 s). */
  readonly drainTimeoutMs: number;
  /** Address both servers bind (`VIGIL_HOST`, an IP; default 127.0.0.1, `0.0.0.0` in a pod). */
  readonly host: string;
  /** Credentials directory (`VIGIL_TLS_DIR`: tls.crt, tls.key, ca.crt), else the state directory's PKI. */
  readonly tlsDir?: string;
  /** Peers are `https://<agent>.<domain>:<VIGIL_PORT>` (`VIGIL_PEER_DOMAIN`, e.g. `vigil.svc`), else endpoints.json. */
  readonly peerDomain?: string;
}

/**
 * Parses the `VIGIL_*` variables of an agent process. Reports every problem at once,
 * naming each variable.
 *
 * @throws RuntimeError `VIGIL_RUNTIME_ENV_INVALID`
 */
export function parseAgentProcessEnv(env: Record<string, string | undefined>): AgentProcessEnv {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new RuntimeError(
      RUNTIME_ERROR_CODES.ENV_INVALID,
      `invalid agent process environment: ${problems.join('; ')}`,
      { details: { problems } },
    );
  }
  const e = parsed.data;
  return Object.freeze({
    agent: e.VIGIL_AGENT,
    configPath: e.VIGIL_CONFIG,
    stateDir: e.VIGIL_STATE_DIR,
    port: e.VIGIL_PORT,
    healthPort: e.VIGIL_HEALTH_PORT,
    replica: e.VIGIL_REPLICA,
    drainTimeoutMs: e.VIGIL_DRAIN_TIMEOUT_MS,
    host: e.VIGIL_HOST,
    ...(e.VIGIL_TLS_DIR === undefined ? {} : { tlsDir: e.VIGIL_TLS_DIR }),
    ...(e.VIGIL_PEER_DOMAIN === undefined ? {} : { peerDomain: e.VIGIL_PEER_DOMAIN }),
  });
}

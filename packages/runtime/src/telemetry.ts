import { spiffeIdOf, type AgentSystem } from '@vigil/registry';
import { initTelemetry, SPIFFE_ID_ATTRIBUTE } from '@vigil/telemetry';
import { RUNTIME_ERROR_CODES, RuntimeError } from './errors.js';

/** Where an agent process exports its spans (OTLP/HTTP). */
export type OtlpTarget =
  /** The standard variables; the exporter reads them (endpoint, headers, certificates). */
  | { readonly source: 'environment'; readonly variable: string }
  /** `telemetry.otlpEndpoint` of the declaration. */
  | { readonly source: 'declaration'; readonly endpoint: string };

/** Checked in this order; the signal-specific one wins, as in the OpenTelemetry specification. */
const OTLP_ENDPOINT_VARIABLES = [
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
] as const;

/** How long a draining agent waits for its last spans to be exported, ms. */
export const TELEMETRY_FLUSH_TIMEOUT_MS = 3_000;

/**
 * Where this process's spans go, or `undefined` for no export. The standard
 * `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT` variables win over `telemetry.otlpEndpoint`, so an
 * operator can point one run at a collector without editing the declaration;
 * `OTEL_SDK_DISABLED=true` turns export off.
 *
 * @throws RuntimeError `VIGIL_RUNTIME_ENV_INVALID` when a variable is set but is not an
 *   http(s) URL (OTLP/HTTP is the only protocol exported).
 */
export function otlpTargetOf(
  env: Readonly<Record<string, string | undefined>>,
  declared: string | undefined,
): OtlpTarget | undefined {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return undefined;
  for (const variable of OTLP_ENDPOINT_VARIABLES) {
    const value = env[variable]?.trim();
    if (value === undefined || value === '') continue;
    if (!/^https?:\/\//.test(value) || !URL.canParse(value)) {
      throw new RuntimeError(
        RUNTIME_ERROR_CODES.ENV_INVALID,
        `${variable}: ${JSON.stringify(value)} is not an http(s) URL (agents export OTLP/HTTP)`,
        { details: { variable } },
      );
    }
    return { source: 'environment', variable };
  }
  return declared === undefined || declared === ''
    ? undefined
    : { source: 'declaration', endpoint: declared };
}

/** The tracing of one agent process. */
export interface AgentTelemetry {
  readonly target: OtlpTarget;
  /** Exports the spans still buffered (bounded by {@link TELEMETRY_FLUSH_TIMEOUT_MS}) and stops. */
  shutdown(): Promise<void>;
}

/**
 * Starts span export for the agent when an OTLP endpoint is configured (see
 * {@link otlpTargetOf}): `service.name` is the agent name, `service.instance.id`
 * `<agent>-<replica>`, `service.namespace` the system, and `vigil.spiffe_id` the agent's
 * SPIFFE ID. Resolves `undefined` — and loads no SDK — when nothing is configured.
 */
export async function startAgentTelemetry(options: {
  readonly system: AgentSystem;
  readonly agentName: string;
  readonly replica: number;
  readonly env: Readonly<Record<string, string | undefined>>;
}): Promise<AgentTelemetry | undefined> {
  const { system, agentName, replica } = options;
  const target = otlpTargetOf(options.env, system.telemetry.otlpEndpoint);
  if (target === undefined) return undefined;
  const telemetry = await initTelemetry({
    serviceName: agentName,
    serviceInstanceId: `${agentName}-${replica}`,
    attributes: {
      'service.namespace': system.metadata.name,
      [SPIFFE_ID_ATTRIBUTE]: spiffeIdOf(system, agentName),
    },
    ...(target.source === 'declaration'
      ? { otlpEndpoint: target.endpoint }
      : { otlpFromEnvironment: true }),
  });
  return {
    target,
    async shutdown() {
      let timer: NodeJS.Timeout | undefined;
      // A collector that is down must not hold the drain past the supervisor's deadline.
      await Promise.race([
        telemetry.shutdown(),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, TELEMETRY_FLUSH_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
    },
  };
}

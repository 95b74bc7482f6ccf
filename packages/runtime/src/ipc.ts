/**
 * The IPC protocol between the supervisor (parent) and an agent process (child), over
 * Node's `process.send` channel. Messages are plain JSON objects with a `type`.
 * Unknown types are ignored by both sides, so either side may add messages.
 */

/** Parent → child: re-read the agent's certificate and key and swap the TLS context. */
export interface ReloadCredentialsMessage {
  readonly type: 'reload-credentials';
}

/** Parent → child: run one skill locally as the operator (see `DemoContext.invoke`). */
export interface InvokeMessage {
  readonly type: 'invoke';
  readonly id: string;
  readonly skill: string;
  readonly input: unknown;
  readonly deadlineMs?: number;
}

export type SupervisorToAgentMessage = ReloadCredentialsMessage | InvokeMessage;

/** Facts about the credentials an agent is serving with. */
export interface CertificateSummary {
  readonly notAfter: string;
  readonly fingerprintSha256: string;
}

/** Child → parent: the A2A server and health server listen, `start()` completed. */
export interface ReadyMessage {
  readonly type: 'ready';
  readonly url: string;
  readonly port: number;
  readonly healthPort: number;
  readonly spiffeId: string;
  readonly certificate: CertificateSummary;
}

/** Child → parent: answer to {@link ReloadCredentialsMessage}. */
export type CredentialsReloadedMessage =
  | {
      readonly type: 'credentials-reloaded';
      readonly ok: true;
      readonly certificate: CertificateSummary;
    }
  | {
      readonly type: 'credentials-reloaded';
      readonly ok: false;
      readonly code: string;
      readonly message: string;
    };

/** Child → parent: answer to {@link InvokeMessage}. */
export type InvokeResultMessage =
  | {
      readonly type: 'invoke-result';
      readonly id: string;
      readonly ok: true;
      readonly output: unknown;
      readonly traceId: string;
      readonly durationMs: number;
    }
  | {
      readonly type: 'invoke-result';
      readonly id: string;
      readonly ok: false;
      readonly code: string;
      readonly message: string;
      readonly traceId: string;
      readonly durationMs: number;
    };

/** Child → parent: draining after SIGTERM/SIGINT; no new calls are accepted. */
export interface DrainingMessage {
  readonly type: 'draining';
  readonly inFlight: number;
}

/** Child → parent: the process is about to exit because of a fatal error. */
export interface FatalMessage {
  readonly type: 'fatal';
  readonly code: string;
  readonly message: string;
}

export type AgentToSupervisorMessage =
  | ReadyMessage
  | CredentialsReloadedMessage
  | InvokeResultMessage
  | DrainingMessage
  | FatalMessage;

/** True when `value` looks like an IPC message of this protocol (has a string `type`). */
export function isIpcMessage(value: unknown): value is { type: string } & Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string'
  );
}

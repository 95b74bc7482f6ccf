/**
 * A plain-data picture of a system for people and tools: what `vigil registry` prints
 * (`--json` prints this object). Secret-bearing URLs are reduced to their origin.
 */
import { sourceOf } from './load.js';
import { callersOf, spiffeIdOf, startOrder } from './queries.js';
import type {
  AgentResources,
  AgentSkill,
  AgentSystem,
  NotificationChannel,
  PermissionRule,
  RestartPolicy,
} from './schema.js';

/** One agent as `vigil registry` shows it. */
export interface AgentDescription {
  readonly name: string;
  readonly role: string;
  readonly description: string;
  readonly spiffeId: string;
  readonly implementation: string;
  readonly replicas: number;
  /** Keeps state in `storage.state`/`storage.checkpoints` (replicas share it through PostgreSQL). */
  readonly stateful: boolean;
  readonly resources: AgentResources;
  readonly restartPolicy: RestartPolicy;
  readonly skills: readonly AgentSkill[];
  /** Agents this one may call. */
  readonly calls: readonly string[];
  /** Agents that may call this one. */
  readonly callers: readonly string[];
  readonly permissions: {
    readonly rules: readonly PermissionRule[];
    readonly tools: readonly string[];
  };
  readonly autonomy: { readonly autoExecute: readonly string[] };
  /** Agent-specific settings as declared (validated by the agent, not here). */
  readonly settings: Readonly<Record<string, unknown>>;
}

/** One notification channel, with where it delivers (secrets left out). */
export interface ChannelDescription {
  readonly name: string;
  readonly type: NotificationChannel['type'];
  /** A secret-free description of the destination. */
  readonly target: string;
}

/** The whole system as `vigil registry` shows it. */
export interface SystemDescription {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly trustDomain: string;
  readonly source: string | undefined;
  readonly agents: readonly AgentDescription[];
  /** Every allowed call, caller → callee. */
  readonly callGraph: readonly { readonly from: string; readonly to: string }[];
  /** Callees before callers. */
  readonly startOrder: readonly string[];
  readonly storage: AgentSystem['storage'];
  readonly policy: AgentSystem['policy'];
  readonly model: AgentSystem['model'];
  readonly notifications: {
    readonly channels: readonly ChannelDescription[];
    readonly retry: AgentSystem['notifications']['retry'];
    readonly rateLimit: AgentSystem['notifications']['rateLimit'];
    readonly dedupWindowSeconds: number;
  };
  readonly audit: AgentSystem['audit'];
  readonly telemetry: AgentSystem['telemetry'];
}

/** The origin and path of a URL, without credentials, query or fragment. */
function safeUrl(url: string, keepPath: boolean): string {
  try {
    const u = new URL(url);
    return keepPath ? `${u.origin}${u.pathname}` : `${u.origin}/…`;
  } catch {
    return '(invalid URL)';
  }
}

function channelTarget(channel: NotificationChannel): string {
  switch (channel.type) {
    case 'webhook':
      return `POST ${safeUrl(channel.url, true)} (HMAC key in $${channel.secretEnv})`;
    case 'slack':
      // The path of a Slack incoming-webhook URL is the secret.
      return channel.url === undefined
        ? `URL in $${channel.urlEnv ?? '?'}`
        : safeUrl(channel.url, false);
    case 'email':
      return `${channel.to.join(', ')} via smtp${channel.smtp.secure ? 's' : ''}://${channel.smtp.host}:${channel.smtp.port}`;
    case 'pagerduty':
      return `${safeUrl(channel.url, true)} (routing key in $${channel.routingKeyEnv})`;
  }
}

/** The data `vigil registry` prints, built from a loaded system. */
export function describeSystem(system: AgentSystem): SystemDescription {
  return {
    apiVersion: system.apiVersion,
    kind: system.kind,
    name: system.metadata.name,
    namespace: system.metadata.namespace,
    trustDomain: system.trustDomain,
    source: sourceOf(system),
    agents: system.agents.map((agent) => ({
      name: agent.name,
      role: agent.role,
      description: agent.description,
      spiffeId: spiffeIdOf(system, agent.name),
      implementation: agent.implementation,
      replicas: agent.replicas,
      stateful: agent.stateful,
      resources: agent.resources,
      restartPolicy: agent.restartPolicy,
      skills: agent.skills,
      calls: agent.calls,
      callers: callersOf(system, agent.name),
      permissions: agent.permissions,
      autonomy: agent.autonomy,
      settings: agent.settings,
    })),
    callGraph: system.agents.flatMap((a) => a.calls.map((to) => ({ from: a.name, to }))),
    startOrder: startOrder(system),
    storage: system.storage,
    policy: system.policy,
    model: system.model,
    notifications: {
      channels: system.notifications.channels.map((c) => ({
        name: c.name,
        type: c.type,
        target: channelTarget(c),
      })),
      retry: system.notifications.retry,
      rateLimit: system.notifications.rateLimit,
      dedupWindowSeconds: system.notifications.dedupWindowSeconds,
    },
    audit: system.audit,
    telemetry: system.telemetry,
  };
}

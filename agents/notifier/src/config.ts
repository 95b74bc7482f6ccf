import type { Logger } from '@vigil/core';
import type { NotificationsConfig } from '@vigil/registry';
import { createEmailChannel } from './channels/email.js';
import { createPagerDutyChannel } from './channels/pagerduty.js';
import { createSlackChannel } from './channels/slack.js';
import { createWebhookChannel } from './channels/webhook.js';
import type { NotificationChannel } from './notification.js';
import { DEFAULT_DELIVERY_POLICY, type DeliveryPolicy } from './notifier.js';

/**
 * Builds the channels `vigil.yaml` declares, reading secrets from the environment by the
 * variable names the declaration gives. A channel whose secret variable is unset is left
 * out with a warning that names the variable (never a value), so one misconfigured
 * channel does not stop the notifier or the others.
 */
export function channelsFromConfig(
  config: NotificationsConfig,
  env: NodeJS.ProcessEnv,
  logger?: Logger,
): NotificationChannel[] {
  const channels: NotificationChannel[] = [];
  const secret = (channel: string, variable: string | undefined): string | undefined => {
    if (variable === undefined) return undefined;
    const value = env[variable];
    if (!value)
      logger?.warn(
        { channel, variable },
        `notification channel "${channel}" disabled: environment variable ${variable} is not set`,
      );
    return value || undefined;
  };
  for (const c of config.channels) {
    const limits = c.rateLimit
      ? { rateLimit: { perMinute: c.rateLimit.perMinute, burst: c.rateLimit.burst } }
      : {};
    switch (c.type) {
      case 'webhook': {
        const key = secret(c.name, c.secretEnv ?? 'VIGIL_WEBHOOK_SECRET');
        if (key)
          channels.push({
            ...createWebhookChannel({ name: c.name, url: c.url, secret: key }),
            ...limits,
          });
        break;
      }
      case 'slack': {
        const url = c.url ?? secret(c.name, c.urlEnv);
        if (url) channels.push({ ...createSlackChannel({ name: c.name, url }), ...limits });
        break;
      }
      case 'email': {
        const user = secret(c.name, c.smtp.userEnv);
        const password = secret(c.name, c.smtp.passwordEnv);
        channels.push({
          ...createEmailChannel({
            name: c.name,
            smtp: {
              host: c.smtp.host,
              port: c.smtp.port,
              secure: c.smtp.secure,
              ...(user ? { user } : {}),
              ...(password ? { password } : {}),
            },
            from: c.from,
            to: c.to,
          }),
          ...limits,
        });
        break;
      }
      case 'pagerduty': {
        const routingKey = secret(c.name, c.routingKeyEnv);
        if (routingKey)
          channels.push({
            ...createPagerDutyChannel({ name: c.name, url: c.url, routingKey }),
            ...limits,
          });
        break;
      }
    }
  }
  return channels;
}

/** The delivery policy from the `notifications` section. */
export function deliveryPolicyFromConfig(config: NotificationsConfig): DeliveryPolicy {
  return {
    ...DEFAULT_DELIVERY_POLICY,
    maxAttempts: config.retry.maxAttempts,
    initialBackoffMs: config.retry.initialBackoffMs,
    maxBackoffMs: config.retry.maxBackoffMs,
    ratePerMinute: config.rateLimit.perMinute,
    burst: config.rateLimit.burst,
    similarWindowMs: config.summaries.similarWindowSeconds * 1000,
  };
}

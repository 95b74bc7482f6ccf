/**
 * `@vigil/notifier`: delivers incident notifications to webhooks (HMAC-signed), Slack
 * incoming webhooks, email over SMTP and PagerDuty Events v2 — with retries and
 * back-off, per-incident de-duplication and per-channel rate limits that summarise what
 * they hold back instead of dropping it, so a failing channel never blocks an incident
 * and a flood never silences one.
 *
 * @example
 * ```ts
 * import { Notifier, createSlackChannel } from '@vigil/notifier';
 * const notifier = new Notifier([createSlackChannel({ name: 'soc', url })]);
 * const results = await notifier.notify(notification); // one DeliveryResult per channel
 * ```
 */
export { agent, createNotifierAgent } from './agent.js';
export { channelsFromConfig, deliveryPolicyFromConfig } from './config.js';
export { createEmailChannel, type EmailChannelOptions } from './channels/email.js';
export { createPagerDutyChannel, pagerDutyEvent } from './channels/pagerduty.js';
export { createSlackChannel, slackPayload } from './channels/slack.js';
export { createWebhookChannel, SIGNATURE_HEADER, signWebhook } from './channels/webhook.js';
export {
  HELD_INCIDENTS,
  renderText,
  type DeliveryResult,
  type HeldBack,
  type HoldReason,
  type Notification,
  type NotificationChannel,
} from './notification.js';
export {
  DEFAULT_DELIVERY_POLICY,
  Notifier,
  summaryOf,
  type Clock,
  type DeliveryPolicy,
  type SummaryDelivery,
} from './notifier.js';

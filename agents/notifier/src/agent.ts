import { openAgentAuditWriter, type AgentAuditWriter } from '@vigil/audit';
import type { AgentContext, AgentDefinition } from '@vigil/runtime';
import { SKILLS } from '@vigil/soc';
import { channelsFromConfig, deliveryPolicyFromConfig } from './config.js';
import { Notifier } from './notifier.js';
import { notificationSchema } from './schema.js';

/**
 * The notifier agent: `notify` fans one notification out to the declared channels and
 * returns one delivery result per channel; every delivery outcome is audited. Delivery
 * failures are results, not errors: the coordinator's incident never waits on a channel
 * longer than the retry budget.
 */
export function createNotifierAgent(): AgentDefinition {
  let notifier: Notifier | undefined;
  let audit: AgentAuditWriter | undefined;
  let context: AgentContext | undefined;
  return {
    async start(ctx) {
      context = ctx;
      const config = ctx.system.notifications;
      notifier = new Notifier(
        channelsFromConfig(config, process.env, ctx.logger),
        deliveryPolicyFromConfig(config),
        { logger: ctx.logger },
      );
      audit = await openAgentAuditWriter({
        storage: ctx.system.storage.audit,
        stateDir: ctx.stateDir,
        identity: () => ctx.credentials(),
      });
    },
    skills: {
      [SKILLS.notify]: async (input) => {
        const notification = notificationSchema.parse(input);
        const results = await notifier!.notify(notification);
        await audit!.writer.append({
          kind: 'notification',
          actor: context!.spiffeId,
          incidentId: notification.incidentId,
          what: {
            kind: notification.kind,
            title: notification.title,
            deliveries: results.map((r) => ({ ...r })),
          },
          why: {
            rationale: `incident ${notification.kind} notification`,
            dedupKey: notification.dedupKey,
            degraded: notification.degraded,
          },
        });
        return { results };
      },
    },
    async stop() {
      await notifier?.close();
      await audit?.close();
    },
  };
}

export const agent: AgentDefinition = createNotifierAgent();
